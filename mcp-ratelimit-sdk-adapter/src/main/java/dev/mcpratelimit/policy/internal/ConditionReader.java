package dev.mcpratelimit.policy.internal;

import dev.mcpratelimit.Condition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Reads conditions ({@code conditions}, {@code when}, hide's {@code when}/{@code unless}): {@code {path, op, value}} each. */
final class ConditionReader {
  private static final Set<String> FIELDS = Set.of("path", "op", "value");
  /** The operators' policy names, in declaration order. */
  private static final List<String> OPS;

  static {
    List<String> ops = new ArrayList<>();
    for (Condition.Op op : Condition.Op.values()) {
      ops.add(op.text());
    }
    OPS = List.copyOf(ops);
  }

  private ConditionReader() {}

  /** A list of conditions ({@code conditions}, {@code when}, {@code unless}); absent is empty. */
  static List<Condition> list(Reading r, @Nullable Node n, String path) {
    List<Condition> out = new ArrayList<>();
    if (n instanceof Node.ListNode l) {
      for (int i = 0; i < l.items.size(); i++) {
        Condition c = read(r, l.items.get(i), path + "[" + i + "]");
        if (c != null) {
          out.add(c);
        }
      }
    } else if (n != null) {
      r.problem(n, path, "expected a list of {path, op, value}, but found " + n.kind());
    }
    return out;
  }

  static @Nullable Condition read(Reading r, Node n, String path) {
    Node.MapNode m = r.map(n, path, FIELDS);
    if (m == null) {
      return null;
    }
    String p = r.text(m.entries.get("path"), path + ".path");
    String op = r.text(m.entries.get("op"), path + ".op");
    if (!m.entries.containsKey("path")) {
      r.problem(n, path, "a condition needs a path, e.g. args.amount");
    }
    if (!m.entries.containsKey("op")) {
      r.problem(n, path, "a condition needs an op: " + String.join(", ", OPS));
    }
    if (p == null || op == null) {
      return null;
    }
    Condition.Op o;
    try {
      o = Condition.Op.fromText(op);
    } catch (IllegalArgumentException e) {
      String hint = Reading.suggest(op, OPS);
      r.problem(m.entries.get("op"), path + ".op", e.getMessage() + (hint == null ? "" : " (did you mean '" + hint + "'?)"));
      return null;
    }
    Node v = m.entries.get("value");
    if (v == null && o != Condition.Op.EXISTS) {
      r.problem(n, path, "a '" + op + "' condition needs a value");
      return null;
    }
    Object value = v == null ? Boolean.TRUE : plain(v);
    try {
      return Condition.of(p, o, value);
    } catch (IllegalArgumentException e) {
      r.problem(v == null ? n : v, path + (v == null ? "" : ".value"), e.getMessage());
      return null;
    }
  }

  private static @Nullable Object plain(Node n) {
    if (n instanceof Node.Scalar s) {
      return s.value;
    }
    if (n instanceof Node.ListNode l) {
      List<Object> out = new ArrayList<>();
      for (Node i : l.items) {
        out.add(plain(i));
      }
      return out;
    }
    Map<String, Object> out = new HashMap<>();
    for (Map.Entry<String, Node> e : ((Node.MapNode) n).entries.entrySet()) {
      out.put(e.getKey(), plain(e.getValue()));
    }
    return out;
  }
}
