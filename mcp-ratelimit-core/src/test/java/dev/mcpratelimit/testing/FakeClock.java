package dev.mcpratelimit.testing;

import dev.mcpratelimit.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Clock} that moves only when a test moves it (forwards or backwards). Published in the
 * core test-jar so every module's tests use the same fixture. Thread-safe.
 */
public final class FakeClock implements Clock {
  private final AtomicLong nanos;

  private FakeClock(long nanos) {
    this.nanos = new AtomicLong(nanos);
  }

  /** @return a clock at 2026-01-01T00:00:00Z */
  public static FakeClock create() {
    return at(Instant.parse("2026-01-01T00:00:00Z"));
  }

  /** @return a clock at {@code instant} */
  public static FakeClock at(Instant instant) {
    return new FakeClock(instant.getEpochSecond() * 1_000_000_000L + instant.getNano());
  }

  /** @return a clock at {@code epochNanos} */
  public static FakeClock atNanos(long epochNanos) {
    return new FakeClock(epochNanos);
  }

  @Override
  public long nanos() {
    return nanos.get();
  }

  /** Moves the clock by {@code d} (negative to go back). @return the new time */
  public long advance(Duration d) {
    return nanos.addAndGet(d.toNanos());
  }

  /** Moves the clock by {@code n} nanoseconds (negative to go back). @return the new time */
  public long advanceNanos(long n) {
    return nanos.addAndGet(n);
  }

  /** Sets the clock to {@code epochNanos}. */
  public void setNanos(long epochNanos) {
    nanos.set(epochNanos);
  }

  /** Sets the clock to {@code instant}. */
  public void set(Instant instant) {
    nanos.set(instant.getEpochSecond() * 1_000_000_000L + instant.getNano());
  }

  @Override
  public String toString() {
    return "FakeClock{" + instant() + '}';
  }
}
