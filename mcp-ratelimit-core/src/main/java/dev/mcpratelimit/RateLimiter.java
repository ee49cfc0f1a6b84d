package dev.mcpratelimit;

import dev.mcpratelimit.internal.Engine;
import dev.mcpratelimit.internal.seam.Seams;
import dev.mcpratelimit.internal.seam.Sleeper;
import dev.mcpratelimit.spi.LimiterStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The engine: decides calls against a {@link RateLimitPolicy}, keeping state in a
 * {@link LimiterStore}.
 *
 * <p>For each call it finds the applicable rules (tool-specific first, then wildcard), checks
 * their conditions, resolves each rule's key and cost, and takes every rule's cost atomically —
 * if one rule denies, no rule keeps anything. The clock is read once per decision.
 *
 * <pre>{@code
 * RateLimiter limiter = RateLimiter.builder(policy).build();
 * Decision d = limiter.acquire(CallContext.tool("create_issue").user("alice").build());
 * if (d instanceof Decision.Granted g) {
 *   try { doWork(); g.commit(); } catch (RuntimeException e) { g.release(); throw e; }
 * } else {
 *   Decision.Denied denied = (Decision.Denied) d;  // denied.retryAfter(), denied.message(), ...
 * }
 * }</pre>
 *
 * <p>Thread-safe. Create one per server and share it.
 */
public interface RateLimiter {

  /** Default of {@link Builder#maxKeyPartLength(int)}: key values up to 256 characters. */
  int DEFAULT_MAX_KEY_PART_LENGTH = 256;

  /**
   * Starts building a limiter.
   *
   * @param policy the policy
   * @return a builder
   */
  static Builder builder(RateLimitPolicy policy) {
    return new Builder(policy);
  }

  /**
   * Decides a call without waiting.
   *
   * @param call the call
   * @return granted (settle the reservation) or denied
   */
  Decision acquire(CallContext call);

  /**
   * Decides a call, waiting (blocking this thread, interruptibly) up to the applicable rules' max
   * wait instead of being denied: a token bucket books the caller's future slot, so waiters are
   * served in order; a window is retried once it resets. Never waits past a rule's max wait.
   *
   * @param call the call
   * @return the decision after waiting
   * @throws InterruptedException if interrupted while waiting (nothing is held then)
   */
  Decision acquireBlocking(CallContext call) throws InterruptedException;

  /**
   * Upstream feedback: calls in a scope are denied (or wait, up to their rules' max wait) until
   * {@code until}, with retry-after set. Use it when an upstream answered 429 with Retry-After,
   * so the server stops relaying a wall of upstream errors.
   *
   * @param scope the dimension, e.g. {@link KeyResolvers#tenant()} or {@link KeyResolvers#tool()}
   * @param value the scope's value, e.g. the tenant id
   * @param until when calls may resume
   */
  void backoff(KeyResolver scope, String value, Instant until);

  /**
   * Backs off the scope a call belongs to for {@code duration}. A call without a value for the
   * scope (no tenant, say) backs off every caller without one, as they share one bucket.
   *
   * @param call the call whose scope value is resolved
   * @param scope the dimension
   * @param duration how long, positive
   * @return the denial to answer the triggering call with ({@link DenialReason#BACKOFF}, the same
   *     fields and text later calls in the scope get, not waitable)
   */
  Decision.Denied backoff(CallContext call, KeyResolver scope, Duration duration);

  /** @return the current policy */
  RateLimitPolicy policy();

  /**
   * Replaces the policy. Rules whose name, key dimensions and limit are unchanged keep their
   * counters; changed rules start fresh, and the store drops the state of removed and changed
   * rules ({@link dev.mcpratelimit.spi.LimiterStore#discard}). Reservations taken earlier complete
   * against the rules they were taken under.
   *
   * @param policy the new policy
   */
  void updatePolicy(RateLimitPolicy policy);

  /** @return the clock decisions are made on */
  Clock clock();

  /** @return the store holding the state */
  LimiterStore store();

  /** Builds a {@link RateLimiter}. Not thread-safe. */
  final class Builder {
    private RateLimitPolicy policy;
    private Clock clock = Clock.system();
    private @Nullable LimiterStore store;
    private final List<RateLimitListener> listeners = new ArrayList<>();
    private Sleeper sleeper = Sleeper.SYSTEM; // a test seam: set through Seams.sleeper
    private int maxKeyPartLength = DEFAULT_MAX_KEY_PART_LENGTH;

    static {
      Seams.registerSleeperSetter((b, s) -> b.sleeper = s);
    }

    private Builder(RateLimitPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** @param clock the time source; default {@link Clock#system()} @return this builder */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * @param store where state lives; default {@link LimiterStore#inMemory(long, Clock)} with
     *     the builder's clock and {@value LimiterStore#DEFAULT_MAXIMUM_KEYS} keys
     * @return this builder
     */
    public Builder store(LimiterStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /** @param listener receives decision events (may be called several times) @return this builder */
    public Builder listener(RateLimitListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * The longest identity or argument value (in characters) a rule may be keyed by. A call whose
     * key value is longer is denied ({@link DenialReason#INVALID_KEY}) and stores nothing, so a
     * caller cannot grow the store's memory by sending long ids. For a composite key each value
     * may be this long. Default {@value RateLimiter#DEFAULT_MAX_KEY_PART_LENGTH}.
     *
     * @param maxKeyPartLength at least 1
     * @return this builder
     */
    public Builder maxKeyPartLength(int maxKeyPartLength) {
      if (maxKeyPartLength < 1) {
        throw new IllegalArgumentException("maxKeyPartLength must be at least 1, but was " + maxKeyPartLength);
      }
      this.maxKeyPartLength = maxKeyPartLength;
      return this;
    }

    /** @return the limiter */
    public RateLimiter build() {
      LimiterStore s = store != null ? store : LimiterStore.inMemory(LimiterStore.DEFAULT_MAXIMUM_KEYS, clock);
      return new Engine(policy, clock, s, RateLimitListener.composite(listeners), sleeper, maxKeyPartLength);
    }
  }
}
