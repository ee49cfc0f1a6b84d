package dev.mcpratelimit;

import dev.mcpratelimit.internal.SystemClock;
import java.time.Instant;

/**
 * The time source of every limiter: one {@code long} of nanoseconds on the Unix-epoch timeline.
 *
 * <p>One reading serves both needs of a decision: it is monotonic (for the system clock) so that
 * refill arithmetic never sees time run backwards, and it is aligned to the wall clock so that
 * calendar windows ({@code 5/hour}, {@code 20/day}) start at the top of the hour or at midnight.
 * A decision therefore reads the clock exactly once.
 *
 * <p>LimitStates tolerate clocks that jump backwards (a fake clock set back, or a custom clock): they
 * never grant extra because of it and never throw.
 *
 * <p>Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Clock {

  /**
   * Returns the current time in nanoseconds since 1970-01-01T00:00:00Z.
   *
   * @return nanoseconds since the Unix epoch
   */
  long nanos();

  /**
   * Returns the current time as an {@link Instant}. Allocates; not for hot paths.
   *
   * @return the current instant
   */
  default Instant instant() {
    return toInstant(nanos());
  }

  /**
   * Converts a reading of any {@code Clock} to an {@link Instant}.
   *
   * @param epochNanos nanoseconds since the Unix epoch (may be negative)
   * @return the instant
   */
  static Instant toInstant(long epochNanos) {
    return Instant.ofEpochSecond(
        Math.floorDiv(epochNanos, 1_000_000_000L), Math.floorMod(epochNanos, 1_000_000_000L));
  }

  /**
   * The system clock: {@link System#nanoTime()} anchored once to the wall clock, so it is
   * monotonic and has nanosecond resolution. It does not follow later wall-clock steps (NTP
   * corrections, manual changes); over a long uptime it may drift from the wall clock by the
   * machine's oscillator drift, which moves calendar-window boundaries by that much.
   *
   * @return the shared system clock
   */
  static Clock system() {
    return SystemClock.INSTANCE;
  }
}
