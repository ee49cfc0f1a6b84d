package dev.mcpratelimit.policy.internal;

import dev.mcpratelimit.policy.PolicyException;
import dev.mcpratelimit.policy.Problem;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.dataformat.yaml.YAMLFactory;
import tools.jackson.dataformat.yaml.YAMLParser;

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
      Node root = read(p, t, 0, source, "");
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
      throw new PolicyException(List.of(new Problem(source, line, col, "",
          "not valid " + (json ? "JSON" : "YAML") + ": " + oneLine(msg == null ? "syntax error" : msg))));
    }
  }

  /**
   * A parser's multi-line message on one line, complete: the source excerpts and carets it quotes
   * are dropped (the problem carries the location), "in reader, line 4, column 5:" becomes
   * "(line 4, column 5)", and a mistake that is almost always a misaligned line says so.
   */
  static String oneLine(String msg) {
    StringBuilder sb = new StringBuilder();
    boolean excerpt = false;
    for (String l : msg.split("\\R")) {
      String t = l.trim();
      if (t.isEmpty()) {
        continue;
      }
      Matcher m = MARK.matcher(t);
      if (m.matches()) {
        sb.append(" (line ").append(m.group(1)).append(", column ").append(m.group(2)).append(')');
        excerpt = true; // the next lines quote the source and point at it
        continue;
      }
      if (excerpt && !Character.isWhitespace(l.charAt(0))) {
        excerpt = false;
      }
      if (excerpt) {
        continue;
      }
      sb.append(sb.length() == 0 ? "" : "; ").append(t);
    }
    String out = sb.toString().replace("; (", " (");
    if (out.contains("expected <block end>") || out.contains("mapping values are not allowed here")
        || out.contains("bad indentation") || out.contains("could not find expected ':'")) {
      out += " (check the indentation: entries of one object or list must start in the same column,"
          + " nested ones further right, with spaces, not tabs)";
    }
    return out;
  }

  private static final Pattern MARK = Pattern.compile("in \\S+, line (\\d+), column (\\d+):?");

  /** The exact value of a floating-point token, or the parser's double when it has none. */
  private static Number decimal(JsonParser p) {
    try {
      return p.getDecimalValue();
    } catch (NumberFormatException | ArithmeticException e) {
      return p.getDoubleValue(); // NaN or an infinity: the reader reports it where a number is read
    }
  }

  /**
   * YAML aliases ({@code *name}) are rejected: the parser would read {@code [*dollar]} as the text
   * {@code ["dollar"]}, silently, and resolving them would let a small file expand into a huge
   * one. A policy states each value where it applies.
   */
  private static void rejectAlias(JsonParser p, String source, String path) {
    if (p instanceof YAMLParser y && y.isCurrentAlias()) {
      TokenStreamLocation l = p.currentTokenLocation();
      throw new PolicyException(List.of(new Problem(source, l.getLineNr(), l.getColumnNr(), path,
          "YAML aliases (*" + p.getString() + ") are not supported: write the value out")));
    }
  }

  private static Node read(JsonParser p, JsonToken t, int depth, String source, String path) {
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
          String field = path.isEmpty() ? name : path + "." + name;
          rejectAlias(p, source, field);
          if (m.entries.containsKey(name)) {
            int[] first = m.keyPositions.get(name);
            throw new PolicyException(List.of(new Problem(source, kl.getLineNr(), kl.getColumnNr(), field,
                "duplicate field '" + name + "' (first at line " + first[0] + ", column " + first[1] + ")")));
          }
          Node value = read(p, p.nextToken(), depth + 1, source, field);
          m.entries.put(name, value);
          m.keyPositions.put(name, new int[] {kl.getLineNr(), kl.getColumnNr()});
        }
        return m;
      }
      case START_ARRAY: {
        List<Node> items = new ArrayList<>();
        for (JsonToken i = p.nextToken(); i != JsonToken.END_ARRAY; i = p.nextToken()) {
          items.add(read(p, i, depth + 1, source, path + "[" + items.size() + "]"));
        }
        return new Node.ListNode(line, col, items);
      }
      case VALUE_STRING:
        rejectAlias(p, source, path);
        return new Node.Scalar(line, col, p.getString());
      case VALUE_NUMBER_INT:
        return new Node.Scalar(line, col, p.getNumberValue());
      case VALUE_NUMBER_FLOAT:
        // exact: 1e400 is a (large) decimal, not Infinity
        return new Node.Scalar(line, col, decimal(p));
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
