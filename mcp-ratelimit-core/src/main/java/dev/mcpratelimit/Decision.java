package dev.mcpratelimit;

import dev.mcpratelimit.spi.Probe;
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
     * for a rule with a max wait); 0 to proceed at once. Only non-zero from the engine's
     * non-blocking waiting step, which the adapter's asynchronous path uses.
     *
     * @return nanoseconds to wait, 0 or more
     */
    long delayNanos();

    /** @return what shadow-mode rules would have denied (already reported to listeners) */
    List<Denied> shadowDenials();
  }

  /**
   * A denied call. Holds no costs: nothing was taken. Built by the engine with one named factory
   * per kind of denial; read with accessors (the set may grow; no positional constructor).
   *
   * <p><b>Budget fields.</b> {@link #limit()}, {@link #window()}, {@link #remaining()} and
   * {@link #resetAt()} describe the budget that denied the call. They are set only when the
   * denial is about a budget: {@link DenialReason#RATE_LIMITED} (all four; {@code window} and
   * {@code resetAt} are {@code null} for a concurrency limit) and {@link DenialReason#BACKOFF}
   * (the upstream's budget: {@code remaining} 0 and {@code resetAt} when calls resume; its limit
   * and window are unknown, so {@code null}). For every other reason — invalid cost, failed
   * condition, invalid key, missing identity, hidden, not allowed, store unavailable — they are {@code null},
   * on every store: such a denial says nothing about how much budget is left.
   */
  final class Denied implements Decision {
    private static final long NONE = Long.MIN_VALUE;

    private final DenialReason reason;
    private final String rule;
    private final List<String> scope;
    private final long limit;
    private final @Nullable Duration window;
    private final long remaining;
    private final long cost;
    private final long retryAfterNanos;
    private final @Nullable Instant resetAt;
    private final String message;
    private final boolean waitable;

    private Denied(DenialReason reason, String rule, List<String> scope, long limit, @Nullable Duration window,
        long remaining, long cost, long retryAfterNanos, @Nullable Instant resetAt, String message, boolean waitable) {
      this.reason = Objects.requireNonNull(reason, "reason");
      this.rule = Objects.requireNonNull(rule, "rule");
      this.scope = List.copyOf(scope);
      this.limit = limit;
      this.window = window;
      this.remaining = remaining;
      this.cost = cost;
      this.retryAfterNanos = retryAfterNanos < 0 ? Probe.NEVER : retryAfterNanos;
      this.resetAt = resetAt;
      this.message = Objects.requireNonNull(message, "message");
      this.waitable = waitable;
    }

    private static Denied notAboutBudget(DenialReason reason, String rule, List<String> scope, String message) {
      return new Denied(reason, rule, scope, NONE, null, NONE, 0, Probe.NEVER, null, message, false);
    }

    /**
     * Starts a denial by an exhausted limit ({@link DenialReason#RATE_LIMITED}).
     *
     * @param rule the denying rule's name
     * @param limit the rule's limit (a bucket's capacity, a window's limit, the permits)
     * @param message a human (and LLM) readable explanation
     * @return a builder for the remaining fields
     */
    public static LimitBuilder rateLimited(String rule, long limit, String message) {
      return new LimitBuilder(rule, limit, message);
    }

    /**
     * A denial because the call's cost is unusable: not a number, negative, larger than the store
     * can represent, or larger than the rule's whole limit (it could never be granted).
     *
     * @param rule the rule whose cost it is
     * @param scope the rule's key dimensions
     * @param cost the cost when it was a number (too large), else 0
     * @param message what was wrong
     * @return the denial
     */
    public static Denied invalidCost(String rule, List<String> scope, long cost, String message) {
      return new Denied(DenialReason.INVALID_COST, rule, scope, NONE, null, NONE, cost, Probe.NEVER, null, message,
          false);
    }

    /**
     * A denial because a rule's condition on the arguments failed.
     *
     * @param rule the rule
     * @param message what the rule requires
     * @return the denial
     */
    public static Denied conditionFailed(String rule, String message) {
      return notAboutBudget(DenialReason.CONDITION_FAILED, rule, List.of(), message);
    }

    /**
     * A denial because a key part (an identity or argument value the rule is keyed by) is longer
     * than the limiter allows.
     *
     * @param rule the rule
     * @param scope the rule's key dimensions
     * @param message what was too long (never the value itself)
     * @return the denial
     */
    public static Denied invalidKey(String rule, List<String> scope, String message) {
      return notAboutBudget(DenialReason.INVALID_KEY, rule, scope, message);
    }

    /**
     * A denial because the rule needs an identity the call does not carry.
     *
     * @param rule the rule
     * @param scope the rule's key dimensions
     * @param message what is missing
     * @return the denial
     */
    public static Denied missingIdentity(String rule, List<String> scope, String message) {
      return notAboutBudget(DenialReason.MISSING_IDENTITY, rule, scope, message);
    }

    /**
     * A denial of a hidden tool; its rule label is {@code hidden}.
     *
     * @param message the explanation
     * @return the denial
     */
    public static Denied hidden(String message) {
      return notAboutBudget(DenialReason.HIDDEN, "hidden", List.of(), message);
    }

    /**
     * A denial by the policy's default ({@code unlisted: deny} in a policy file); its rule label is {@code default}.
     *
     * @param message the explanation
     * @return the denial
     */
    public static Denied notAllowed(String message) {
      return notAboutBudget(DenialReason.NOT_ALLOWED, "default", List.of(), message);
    }

    /**
     * A denial because the store failed and the policy fails closed; its rule label is
     * {@code store}.
     *
     * @param message the explanation
     * @return the denial
     */
    public static Denied storeUnavailable(String message) {
      return notAboutBudget(DenialReason.STORE_UNAVAILABLE, "store", List.of(), message);
    }

    /**
     * A denial because an upstream throttled the scope ({@link DenialReason#BACKOFF}); its rule
     * label is {@code backoff}. Remaining is 0; the limit and window are unknown.
     *
     * @param scope the backed-off dimensions
     * @param retryAfterNanos when calls resume, nanoseconds from now
     * @param resumeAt when calls resume
     * @param message the explanation
     * @param waitable whether the caller may wait for it (see {@link #waitable()})
     * @return the denial
     */
    public static Denied backoff(List<String> scope, long retryAfterNanos, Instant resumeAt, String message,
        boolean waitable) {
      return new Denied(DenialReason.BACKOFF, "backoff", scope, NONE, null, 0, 0, retryAfterNanos,
          Objects.requireNonNull(resumeAt, "resumeAt"), message, waitable);
    }

    /** @return why */
    public DenialReason reason() {
      return reason;
    }

    /**
     * @return the name of the (first) denying rule, or a fixed label ({@code default},
     *     {@code hidden}, {@code backoff}, {@code store})
     */
    public String rule() {
      return rule;
    }

    /** @return the key dimensions of that rule, names only (never another caller's values) */
    public List<String> scope() {
      return scope;
    }

    /** @return the denying budget's limit, or {@code null} when not about a known budget */
    public @Nullable Long limit() {
      return limit == NONE ? null : limit;
    }

    /**
     * @return the denying budget's window (time to refill a bucket from empty), or {@code null}
     *     when it has none or the denial is not about a budget
     */
    public @Nullable Duration window() {
      return window;
    }

    /** @return cost still available under the denying budget, or {@code null} when not about a budget */
    public @Nullable Long remaining() {
      return remaining == NONE ? null : remaining;
    }

    /** @return the cost the call asked for (0 when it was not usable) */
    public long cost() {
      return cost;
    }

    /**
     * @return nanoseconds after which retrying can succeed (the largest over all denying rules),
     *     or {@link Probe#NEVER} when waiting cannot help
     */
    public long retryAfterNanos() {
      return retryAfterNanos;
    }

    /** @return the retry-after as a duration, or {@code null} when waiting cannot help */
    public @Nullable Duration retryAfter() {
      return retryAfterNanos < 0 ? null : Duration.ofNanos(retryAfterNanos);
    }

    /** @return when the denying budget is fully available again, or {@code null} */
    public @Nullable Instant resetAt() {
      return resetAt;
    }

    /** @return a human (and LLM) readable explanation */
    public String message() {
      return message;
    }

    /**
     * @return whether the engine's non-blocking waiting step (the adapter's asynchronous path) may
     *     try again after {@link #retryAfterNanos()} within the rules' max wait
     */
    public boolean waitable() {
      return waitable;
    }

    /**
     * @param retryAfterNanos the new retry-after, or {@link Probe#NEVER}
     * @param waitable the new waitable flag
     * @return this denial with another retry-after and waitable flag
     */
    public Denied withRetryAfter(long retryAfterNanos, boolean waitable) {
      return new Denied(reason, rule, scope, limit, window, remaining, cost, retryAfterNanos, resetAt, message,
          waitable);
    }

    @Override
    public boolean isGranted() {
      return false;
    }

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof Denied d && d.reason == reason && d.rule.equals(rule) && d.scope.equals(scope)
          && d.limit == limit && Objects.equals(d.window, window) && d.remaining == remaining && d.cost == cost
          && d.retryAfterNanos == retryAfterNanos && Objects.equals(d.resetAt, resetAt)
          && d.message.equals(message) && d.waitable == waitable;
    }

    @Override
    public int hashCode() {
      return Objects.hash(reason, rule, scope, limit, window, remaining, cost, retryAfterNanos, resetAt, message,
          waitable);
    }

    @Override
    public String toString() {
      return "Denied{reason=" + reason.code() + ", rule=" + rule + ", scope=" + scope + ", limit=" + limit()
          + ", window=" + window + ", remaining=" + remaining() + ", cost=" + cost + ", retryAfterNanos="
          + retryAfterNanos + ", resetAt=" + resetAt + ", message=" + message + ", waitable=" + waitable + '}';
    }

    /** Builds a {@link DenialReason#RATE_LIMITED} denial. Not thread-safe. */
    public static final class LimitBuilder {
      private final String rule;
      private final long limit;
      private final String message;
      private List<String> scope = List.of();
      private @Nullable Duration window;
      private long remaining;
      private long cost;
      private long retryAfterNanos = Probe.NEVER;
      private @Nullable Instant resetAt;
      private boolean waitable;

      private LimitBuilder(String rule, long limit, String message) {
        this.rule = Objects.requireNonNull(rule, "rule");
        if (limit < 0) {
          throw new IllegalArgumentException("limit must not be negative, but was " + limit);
        }
        this.limit = limit;
        this.message = Objects.requireNonNull(message, "message");
      }

      /** @param scope the rule's key dimensions @return this builder */
      public LimitBuilder scope(List<String> scope) {
        this.scope = Objects.requireNonNull(scope, "scope");
        return this;
      }

      /** @param window the rule's window, or {@code null} (concurrency) @return this builder */
      public LimitBuilder window(@Nullable Duration window) {
        this.window = window;
        return this;
      }

      /** @param remaining cost still available, 0 or more @return this builder */
      public LimitBuilder remaining(long remaining) {
        this.remaining = Math.max(0, remaining);
        return this;
      }

      /** @param cost the cost the call asked for @return this builder */
      public LimitBuilder cost(long cost) {
        this.cost = cost;
        return this;
      }

      /** @param nanos when retrying can succeed, or {@link Probe#NEVER} (the default) @return this builder */
      public LimitBuilder retryAfterNanos(long nanos) {
        this.retryAfterNanos = nanos;
        return this;
      }

      /** @param resetAt when the limit is fully available again, or {@code null} @return this builder */
      public LimitBuilder resetAt(@Nullable Instant resetAt) {
        this.resetAt = resetAt;
        return this;
      }

      /** @param waitable whether the caller may wait and retry (default false) @return this builder */
      public LimitBuilder waitable(boolean waitable) {
        this.waitable = waitable;
        return this;
      }

      /** @return the denial */
      public Denied build() {
        return new Denied(DenialReason.RATE_LIMITED, rule, scope, limit, window, remaining, cost, retryAfterNanos,
            resetAt, message, waitable);
      }
    }
  }
}
