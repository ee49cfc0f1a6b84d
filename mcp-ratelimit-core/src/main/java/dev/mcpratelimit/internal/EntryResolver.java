package dev.mcpratelimit.internal;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Cost;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.Rule;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Resolves what a limit rule counts for one call: the key part (the caller's identity in the
 * rule's dimensions) and the cost, refusing values that cannot be counted (a key over the length
 * bound, a missing identity the rule denies, an invalid cost, a cost larger than the whole limit).
 * Allocates nothing: the outcome goes to a reusable {@link Entry}.
 */
final class EntryResolver {
  /** What {@link #resolve} found; reused, one per thread. */
  static final class Entry {
    /** The key part, or {@code null} for the shared anonymous bucket. */
    @Nullable String part;
    /** The cost to take. */
    long cost;
    /** Why the rule refuses the call, or {@code null}. */
    Decision.@Nullable Denied problem;
  }

  /** The outcome of {@link #resolve}. */
  enum Outcome {
    /** Count {@link Entry#part} and {@link Entry#cost}. */
    COUNT,
    /** The rule refuses the call: {@link Entry#problem}. */
    REFUSE,
    /** The rule does not apply to callers without its identity. */
    SKIP
  }

  private final int maxKeyPartLength;
  private final int lengthPrefix; // characters a composite key adds per part at most: digits and ':'

  /** @param maxKeyPartLength the longest key value, at least 1 */
  EntryResolver(int maxKeyPartLength) {
    if (maxKeyPartLength < 1) {
      throw new IllegalArgumentException("maxKeyPartLength must be at least 1, but was " + maxKeyPartLength);
    }
    this.maxKeyPartLength = maxKeyPartLength;
    this.lengthPrefix = Integer.toString(maxKeyPartLength).length() + 1;
  }

  /** Resolves {@code rule}'s key part and cost for {@code call} into {@code out}. */
  Outcome resolve(Rule rule, LimitSpec spec, CallContext call, Entry out) {
    out.problem = null;
    out.cost = 0;
    String part = rule.key().resolve(call);
    out.part = part;
    if (part != null && part.length() > maxKeyPartLength) {
      out.problem = keyTooLong(rule, part);
    } else if (part == null) {
      switch (rule.onMissingIdentity()) {
        case SKIP:
          return Outcome.SKIP;
        case DENY:
          out.problem = Decision.Denied.missingIdentity(rule.name(), rule.key().dimensions(),
              DenialMessages.missingIdentity(rule));
          break;
        default:
          break; // SHARED: the null part is the shared anonymous bucket
      }
    }
    if (out.problem == null) {
      long cost;
      try {
        cost = rule.cost().resolve(call);
      } catch (Cost.InvalidCostException e) {
        out.problem = Decision.Denied.invalidCost(rule.name(), rule.key().dimensions(), 0, e.getMessage());
        return Outcome.REFUSE;
      }
      out.cost = cost;
      if (cost > spec.limit()) {
        // can never fit (and may be more than the store can represent): decided here, the same
        // on every store, before any store sees it
        out.problem = Decision.Denied.invalidCost(rule.name(), rule.key().dimensions(), cost,
            DenialMessages.tooLarge(rule, spec, cost));
      }
    }
    return out.problem == null ? Outcome.COUNT : Outcome.REFUSE;
  }

  /**
   * A key part over the bound: a single value longer than {@link #maxKeyPartLength}, or a composite
   * part longer than its values (each at most that long, with their length prefixes) can be.
   * Denied rather than stored: memory per key stays bounded whatever callers send.
   */
  private Decision.@Nullable Denied keyTooLong(Rule rule, String part) {
    List<String> dims = rule.key().dimensions();
    long max = dims.size() == 1 ? maxKeyPartLength : (long) dims.size() * (maxKeyPartLength + lengthPrefix);
    if (part.length() <= max) {
      return null;
    }
    return Decision.Denied.invalidKey(rule.name(), dims, DenialMessages.keyTooLong(rule, part.length(), maxKeyPartLength));
  }
}
