package dev.mcpratelimit.policy.internal;

import dev.mcpratelimit.Cost;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Reads a cost: a whole number, or {@code {from: args.<path>, roundUp: true|false}}. */
final class CostReader {
  private static final Set<String> FIELDS = Set.of("from", "roundUp");

  private CostReader() {}

  /**
   * A cost as read.
   *
   * @param cost the cost
   * @param constant its amount when it is a constant, else -1 (read from an argument)
   */
  record Read(Cost cost, long constant) {
    static Read of(long amount) {
      return new Read(Cost.of(amount), amount);
    }

    static Read fromArgument(Cost cost) {
      return new Read(cost, -1);
    }
  }

  static @Nullable Read read(Reading r, @Nullable Node n, String path) {
    if (n == null) {
      return null;
    }
    if (n instanceof Node.Scalar s && s.value instanceof Number) {
      Long amount = r.whole(n, path, 0);
      return amount == null ? null : Read.of(amount);
    }
    if (!(n instanceof Node.MapNode)) {
      r.problem(n, path, "expected a whole number or {from: args.<path>}, but found " + Reading.describe(n));
      return null;
    }
    Node.MapNode m = r.map(n, path, FIELDS);
    if (m == null) {
      return null;
    }
    String from = r.text(m.entries.get("from"), path + ".from");
    Boolean roundUp = r.bool(m.entries.get("roundUp"), path + ".roundUp");
    if (from == null) {
      if (!m.entries.containsKey("from")) {
        r.problem(n, path, "expected a number or {from: args.<path>}");
      }
      return null;
    }
    try {
      return Read.fromArgument(Boolean.TRUE.equals(roundUp) ? Cost.fromArgumentRoundingUp(from) : Cost.fromArgument(from));
    } catch (IllegalArgumentException e) {
      r.problem(m.entries.get("from"), path + ".from", e.getMessage());
      return null;
    }
  }

  /** An argument path whose value is the cost (a quota's {@code incrementFrom}). */
  static @Nullable Read fromArgument(Reading r, @Nullable Node n, String path) {
    String from = r.text(n, path);
    if (from == null || n == null) {
      return null;
    }
    try {
      return Read.fromArgument(Cost.fromArgument(from));
    } catch (IllegalArgumentException e) {
      r.problem(n, path, e.getMessage());
      return null;
    }
  }
}
