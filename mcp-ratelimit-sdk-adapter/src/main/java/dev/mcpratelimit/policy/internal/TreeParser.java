package dev.mcpratelimit.policy.internal;

import dev.mcpratelimit.policy.PolicyException;
import dev.mcpratelimit.policy.Problem;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.dataformat.yaml.YAMLFactory;

/** Reads YAML or JSON into {@link Node}s that remember where each value was. */
public final class TreeParser {
  private static final TokenStreamFactory YAML = new YAMLFactory();
  private static final TokenStreamFactory JSON = new JsonFactory();
  /** Deepest nesting accepted: bounds recursion on hostile input. */
  static final int MAX_DEPTH = 64;

  private TreeParser() {}

  /**
   * @param text the document
   * @param source its name, for messages
   * @param json whether to read it as JSON (else YAML)
   * @return the root node
   * @throws PolicyException for a syntax error, with its location
   */
  public static Node parse(String text, String source, boolean json) {
    try (JsonParser p = (json ? JSON : YAML).createParser(ObjectReadContext.empty(), text)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        throw new PolicyException(List.of(new Problem(source, 1, 1, "", "the document is empty: expected a policy object")));
      }
      Node root = read(p, t, 0, source);
      if (p.nextToken() != null) {
        TokenStreamLocation l = p.currentTokenLocation();
        throw new PolicyException(List.of(new Problem(source, l.getLineNr(), l.getColumnNr(), "",
            "unexpected content after the policy object")));
      }
      return root;
    } catch (JacksonException e) {
      TokenStreamLocation l = e.getLocation();
      int line = l == null ? 0 : Math.max(0, l.getLineNr());
      int col = l == null ? 0 : Math.max(0, l.getColumnNr());
      String msg = e.getOriginalMessage();
      if (msg == null) {
        msg = e.getClass().getSimpleName();
      }
      int nl = msg.indexOf('\n');
      throw new PolicyException(List.of(new Problem(source, line, col, "",
          "not valid " + (json ? "JSON" : "YAML") + ": " + (nl > 0 ? msg.substring(0, nl) : msg))));
    }
  }

  private static Node read(JsonParser p, JsonToken t, int depth, String source) {
    TokenStreamLocation loc = p.currentTokenLocation();
    int line = loc.getLineNr();
    int col = loc.getColumnNr();
    if (depth > MAX_DEPTH) {
      throw new PolicyException(List.of(new Problem(source, line, col, "", "nested deeper than " + MAX_DEPTH + " levels")));
    }
    switch (t) {
      case START_OBJECT: {
        Node.MapNode m = new Node.MapNode(line, col);
        for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
          TokenStreamLocation kl = p.currentTokenLocation();
          String name = p.currentName();
          Node value = read(p, p.nextToken(), depth + 1, source);
          if (m.entries.containsKey(name)) {
            throw new PolicyException(List.of(new Problem(source, kl.getLineNr(), kl.getColumnNr(), name,
                "duplicate field '" + name + "'")));
          }
          m.entries.put(name, value);
          m.keyPositions.put(name, new int[] {kl.getLineNr(), kl.getColumnNr()});
        }
        return m;
      }
      case START_ARRAY: {
        List<Node> items = new ArrayList<>();
        for (JsonToken i = p.nextToken(); i != JsonToken.END_ARRAY; i = p.nextToken()) {
          items.add(read(p, i, depth + 1, source));
        }
        return new Node.ListNode(line, col, items);
      }
      case VALUE_STRING:
        return new Node.Scalar(line, col, p.getString());
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return new Node.Scalar(line, col, p.getNumberValue());
      case VALUE_TRUE:
        return new Node.Scalar(line, col, Boolean.TRUE);
      case VALUE_FALSE:
        return new Node.Scalar(line, col, Boolean.FALSE);
      case VALUE_NULL:
        return new Node.Scalar(line, col, null);
      default:
        throw new PolicyException(List.of(new Problem(source, line, col, "", "unexpected " + t)));
    }
  }
}
