package dev.mcpratelimit.internal.seam;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimiter;

/**
 * The engine's non-blocking step of waiting, for the adapter's asynchronous path and the CLI's
 * simulator. Every {@link RateLimiter} built by {@link RateLimiter#builder} implements it.
 */
public interface AsyncEngine extends RateLimiter {

  /** Value for {@link #reserve(CallContext, long)}'s {@code startedAt} on a first attempt. */
  long FIRST_ATTEMPT = Long.MIN_VALUE;

  /**
   * The engine behind a limiter.
   *
   * @param limiter a limiter built by {@link RateLimiter#builder}
   * @return it, as an async engine
   * @throws IllegalArgumentException if the limiter was not built by {@link RateLimiter#builder}
   */
  static AsyncEngine of(RateLimiter limiter) {
    if (limiter instanceof AsyncEngine e) {
      return e;
    }
    throw new IllegalArgumentException("limiter must be built by RateLimiter.builder(...), but was "
        + limiter.getClass().getName());
  }

  /**
   * One non-blocking step of waiting. Returns either a denial; or a grant whose
   * {@link Decision.Granted#delayNanos()} says how long to wait before proceeding (its costs are
   * already booked); or a denial with {@link Decision.Denied#waitable()} set, in which case call
   * again after {@link Decision.Denied#retryAfterNanos()} with the same {@code startedAt}.
   *
   * @param call the call
   * @param startedAt {@link #FIRST_ATTEMPT}, or the {@link #clock()} reading of the first attempt
   * @return the decision
   */
  Decision reserve(CallContext call, long startedAt);
}
