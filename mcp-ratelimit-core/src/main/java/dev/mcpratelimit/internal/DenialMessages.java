package dev.mcpratelimit.internal;

import dev.mcpratelimit.Condition;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.internal.format.Durations;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The English text of every denial the engine decides, and nothing else: each method returns the
 * sentence an agent reads, from the rule and the values the denial is about. A rule's own
 * {@code onDeny} text replaces the default of a limit or condition denial.
 */
final class DenialMessages {
  /** The text of a fail-closed denial while the store cannot decide. */
  static final String STORE_UNAVAILABLE = "Rate limiting is temporarily unavailable; try again shortly";

  private DenialMessages() {}

  static String hidden(String tool) {
    return "Tool '" + tool + "' is not available (hidden by policy)";
  }

  static String notAllowed(String target) {
    return "'" + target + "' is not allowed by the rate-limit policy";
  }

  static String missingIdentity(Rule rule) {
    return "Rule '" + rule.name() + "' needs the caller's " + dimensions(rule.key().dimensions())
        + ", which this call does not carry";
  }

  static String conditionFailed(Rule rule, Condition c) {
    return rule.onDeny() != null ? rule.onDeny()
        : "Rule '" + rule.name() + "' requires " + c.path() + " " + c.op().text() + " " + c.value();
  }

  static String keyTooLong(Rule rule, int length, int maxKeyPartLength) {
    return "Rule '" + rule.name() + "': the call's " + dimensions(rule.key().dimensions()) + " is " + length
        + " characters long; a key value may have at most " + maxKeyPartLength;
  }

  /** The text of a cost that can never fit a rule's limit: the same on every store. */
  static String tooLarge(Rule rule, LimitSpec spec, long cost) {
    return "Rule '" + rule.name() + "': a cost of " + cost + " exceeds the rule's whole limit of " + spec.limit()
        + " and can never be granted";
  }

  static String unrepresentableCost(Rule rule) {
    return "Rule '" + rule.name() + "' cannot count this call: the rate-limit store cannot represent its cost";
  }

  /** The text of a limit denial: the rule's {@code onDeny}, else {@link #describe}. */
  static String limitReached(Rule rule, LimitSpec spec, long cost) {
    return rule.onDeny() != null ? rule.onDeny() : describe(rule, spec, cost);
  }

  /** The default text of a limit denial, per limit kind. */
  static String describe(Rule rule, LimitSpec spec, long cost) {
    String per = rule.key().dimensions().equals(List.of("global")) ? "" : " per " + dimensions(rule.key().dimensions());
    if (spec instanceof LimitSpec.Concurrency c) {
      return "At most " + c.maxInFlight() + " call" + (c.maxInFlight() == 1 ? "" : "s") + " at a time" + per
          + " (rule '" + rule.name() + "')";
    }
    if (cost > spec.limit()) {
      return "Cost " + cost + " exceeds the limit of " + spec.limit() + " of rule '" + rule.name() + "'";
    }
    String window = Durations.words(Objects.requireNonNull(spec.window()));
    if (spec instanceof LimitSpec.TokenBucket) {
      return "Used the burst of " + spec.limit() + per + ", which refills over " + window + " (rule '" + rule.name() + "')";
    }
    return "Limit of " + spec.limit() + " per " + (window.startsWith("1 ") ? window.substring(2) : window) + per
        + " reached (rule '" + rule.name() + "')";
  }

  /** The text of an upstream backoff, with the time left rounded up to whole seconds. */
  static String backoff(List<String> scope, long retryNanos) {
    return "The upstream service is throttling this " + dimensions(scope) + "; calls resume in "
        + Durations.words(Duration.ofSeconds(Durations.ceilSeconds(retryNanos)));
  }

  private static String dimensions(List<String> dims) {
    return String.join(" and ", dims);
  }
}
