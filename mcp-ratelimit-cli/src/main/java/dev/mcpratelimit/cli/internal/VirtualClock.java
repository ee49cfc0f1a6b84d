package dev.mcpratelimit.cli.internal;

import dev.mcpratelimit.Clock;

/**
 * The simulator's clock: it stands still until the replay moves it to the next event's time, so a
 * trace of a day replays in as long as its decisions take. Thread-safe (one volatile field).
 */
public final class VirtualClock implements Clock {
  private volatile long nanos;

  /** @param epochNanos the starting time */
  public VirtualClock(long epochNanos) {
    this.nanos = epochNanos;
  }

  @Override
  public long nanos() {
    return nanos;
  }

  /** @param epochNanos the new time (the replay only moves it forwards) */
  public void set(long epochNanos) {
    this.nanos = epochNanos;
  }
}
