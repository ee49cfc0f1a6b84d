package dev.mcpratelimit.spi;

import dev.mcpratelimit.Clock;

/**
 * A reusable, mutable holder into which a {@link LimitState} writes the details of one attempt, so
 * that a decision on a hot path allocates nothing. Keep one per thread (or per call) and pass it
 * to {@link LimitState#tryAcquire(long, long, Probe)}; read it right after the call.
 *
 * <p>Not thread-safe. Times are nanoseconds on the {@link Clock} timeline.
 */
public final class Probe {
  /** Value of {@link #retryAfterNanos()} when waiting cannot be promised to help. */
  public static final long NEVER = -1;

  private boolean granted;
  private long remaining;
  private long retryAfterNanos = NEVER;
  private long resetAtNanos = NEVER;
  private long waitNanos;

  /** Creates an empty probe. */
  public Probe() {}

  /** @return whether the last attempt took its cost */
  public boolean granted() {
    return granted;
  }

  /** @return the cost still available right after the attempt (never negative) */
  public long remaining() {
    return remaining;
  }

  /**
   * For a denied attempt: nanoseconds after which the same attempt would succeed if nothing else
   * happened in between; {@link #NEVER} when waiting cannot be promised to help (the cost exceeds
   * the limit, or the limit is a concurrency limit that frees only when a call ends). 0 when
   * granted.
   *
   * @return nanoseconds to wait, or {@link #NEVER}
   */
  public long retryAfterNanos() {
    return retryAfterNanos;
  }

  /**
   * The time at which the limit is fully available again (a token bucket is full, a window ends),
   * or {@link #NEVER} when that is not a matter of time (concurrency).
   *
   * @return epoch nanoseconds, or {@link #NEVER}
   */
  public long resetAtNanos() {
    return resetAtNanos;
  }

  /**
   * For a granted {@link LimitState#reserve reservation}: nanoseconds the caller must wait before
   * proceeding; 0 for an immediate grant.
   *
   * @return nanoseconds to wait before proceeding
   */
  public long waitNanos() {
    return waitNanos;
  }

  /**
   * Records an outcome. For {@link LimitState} and store implementations.
   *
   * @param granted whether the cost was taken
   * @param remaining cost still available (negative values are stored as 0)
   * @param retryAfterNanos see {@link #retryAfterNanos()}
   * @param resetAtNanos see {@link #resetAtNanos()}
   * @param waitNanos see {@link #waitNanos()}
   * @return this probe
   */
  public Probe set(
      boolean granted, long remaining, long retryAfterNanos, long resetAtNanos, long waitNanos) {
    this.granted = granted;
    this.remaining = Math.max(0, remaining);
    this.retryAfterNanos = retryAfterNanos;
    this.resetAtNanos = resetAtNanos;
    this.waitNanos = waitNanos;
    return this;
  }

  @Override
  public String toString() {
    return "Probe{granted=" + granted + ", remaining=" + remaining + ", retryAfterNanos="
        + retryAfterNanos + ", resetAtNanos=" + resetAtNanos + ", waitNanos=" + waitNanos + '}';
  }
}
