package dev.mcpratelimit;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of {@link RateLimiter#acquire}: either {@link Granted} — the call may proceed and
 * holds a {@link Reservation} — or {@link Denied}, a value carrying everything the caller (or
 * the agent behind it) needs to act: the rule, the scope, the limit, and when to retry.
 */
public sealed interface Decision permits Decision.Granted, Decision.Denied {

  /** @return whether the call may proceed */
  boolean isGranted();

  /**
   * A granted call. Settle it with {@link #commit()} when the call succeeded or
   * {@link #release()} when it failed, so costs are kept or refunded and permits freed.
   */
  non-sealed interface Granted extends Decision, Reservation {
    @Override
    default boolean isGranted() {
      return true;
    }

    /**
     * Nanoseconds the caller must wait before proceeding (a token bucket booked a future slot
     * for a rule with a max wait); 0 to proceed at once. Only non-zero from
     * {@link RateLimiter#reserve}.
     *
     * @return nanoseconds to wait, 0 or more
     */
    long delayNanos();

    /** @return what shadow-mode rules would have denied (already reported to listeners) */
    List<Denied> shadowDenials();
  }

  /**
   * A denied call. Holds no costs: nothing was taken.
   *
   * @param reason why
   * @param rule the name of the (first) denying rule, or a fixed label ({@code default},
   *     {@code hidden}, {@code backoff}, {@code store})
   * @param scope the key dimensions of that rule, names only (never another caller's values)
   * @param limit the rule's limit, or -1 when not a limit
   * @param window the rule's window (time to refill a bucket from empty), or {@code null}
   * @param remaining cost still available under that rule
   * @param cost the cost the call asked for
   * @param retryAfterNanos when retrying can succeed (the largest over all denying rules), or
   *     {@link Probe#NEVER} when waiting cannot help
   * @param resetAt when the denying limit is fully available again, or {@code null}
   * @param message a human (and LLM) readable explanation
   * @param waitable whether {@link RateLimiter#reserve} may be called again after
   *     {@code retryAfterNanos} within the rules' max wait
   */
  record Denied(
      DenialReason reason,
      String rule,
      List<String> scope,
      long limit,
      @Nullable Duration window,
      long remaining,
      long cost,
      long retryAfterNanos,
      @Nullable Instant resetAt,
      String message,
      boolean waitable)
      implements Decision {

    /** Validates and copies. */
    public Denied {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(rule, "rule");
      scope = List.copyOf(scope);
      Objects.requireNonNull(message, "message");
    }

    @Override
    public boolean isGranted() {
      return false;
    }

    /** @return the retry-after as a duration, or {@code null} when waiting cannot help */
    public @Nullable Duration retryAfter() {
      return retryAfterNanos < 0 ? null : Duration.ofNanos(retryAfterNanos);
    }
  }
}
