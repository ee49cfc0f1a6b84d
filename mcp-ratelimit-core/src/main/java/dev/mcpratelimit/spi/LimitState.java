package dev.mcpratelimit.spi;

import dev.mcpratelimit.Clock;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.internal.LimitStates;
import org.jspecify.annotations.Nullable;

/**
 * The state of one {@link LimitSpec} for one key: a single token bucket, window or set of
 * concurrency permits. Stores hold one per live key; it is also usable on its own.
 *
 * <p>Thread-safe and lock-free (compare-and-set on primitive state), except the exact sliding
 * window, which guards its timestamp log with the limiter's monitor. Every method takes the
 * current time from the caller (one {@link Clock} reading per decision); a time earlier than one
 * seen before never grants extra and never throws.
 *
 * <p>Costs: {@code 0} peeks (reports, changes nothing, always "granted"); a negative cost is
 * misuse and throws {@link IllegalArgumentException}; a cost above the limit is denied with
 * {@link Probe#NEVER} as retry-after. Arithmetic saturates, so huge costs and times never wrap
 * around into a grant.
 */
public interface LimitState {

  /**
   * Creates a fresh limiter (full bucket, empty window, no permits held).
   *
   * @param spec what it allows
   * @return a new limiter
   */
  static LimitState of(LimitSpec spec) {
    return LimitStates.create(spec);
  }

  /** @return the spec this limiter enforces */
  LimitSpec spec();

  /**
   * Takes {@code cost} if it fits now.
   *
   * @param cost the weight to take, 0 to peek
   * @param now the current time, epoch nanoseconds
   * @param probe receives the details, or {@code null} when only the verdict matters
   * @return whether the cost was taken
   * @throws IllegalArgumentException if {@code cost} is negative
   */
  boolean tryAcquire(long cost, long now, @Nullable Probe probe);

  /**
   * Takes {@code cost} now if it fits within {@code maxWaitNanos}: a token bucket books the
   * future slot (so waiters are served in order) and reports in {@link Probe#waitNanos()} how
   * long the caller must wait before proceeding. Other algorithms grant only what fits now
   * (callers retry after {@link Probe#retryAfterNanos()}).
   *
   * @param cost the weight to take, 0 to peek
   * @param now the current time, epoch nanoseconds
   * @param maxWaitNanos the longest the caller is prepared to wait, 0 or more
   * @param probe receives the details
   * @return whether the cost was booked
   */
  default boolean reserve(long cost, long now, long maxWaitNanos, Probe probe) {
    return tryAcquire(cost, now, probe);
  }

  /**
   * Gives back cost taken by an earlier grant at {@code acquiredAt}, as far as the limit still
   * counts it. Restores exactly what was taken when nothing else happened in between; a window
   * that has since rolled over is left alone; a token bucket gives back only the part of the
   * grant that has not refilled since (so a late refund never lets later callers exceed the
   * burst); nothing is ever restored beyond the limit.
   *
   * @param cost the cost granted
   * @param acquiredAt the time passed to the granting call; for a token bucket, better the
   *     grant's place in the bucket's timeline, {@code probe.resetAtNanos() - cost × nanosPerToken}
   *     read right after the grant (for a booked future slot, never earlier than the time the slot
   *     begins): then interleaved grants and refunds give back exactly what is still out
   * @param now the current time
   */
  void refund(long cost, long acquiredAt, long now);

  /**
   * The time from which this limiter is indistinguishable from a fresh one if left alone (bucket
   * full, window over, no permits held); a store may drop it then. {@code Long.MAX_VALUE} while
   * concurrency permits are held.
   *
   * @param now the current time
   * @return epoch nanoseconds, {@code <= now} when already idle
   */
  long idleAt(long now);
}
