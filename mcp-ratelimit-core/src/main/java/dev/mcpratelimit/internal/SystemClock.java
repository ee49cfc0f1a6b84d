package dev.mcpratelimit.internal;

import dev.mcpratelimit.Clock;
import java.time.Instant;

/** {@link System#nanoTime()} anchored to the wall clock at class initialisation. */
public final class SystemClock implements Clock {
  public static final SystemClock INSTANCE = new SystemClock();

  private final long offset;

  private SystemClock() {
    Instant wall = Instant.now();
    long mono = System.nanoTime();
    long wallNanos = Math.addExact(Math.multiplyExact(wall.getEpochSecond(), 1_000_000_000L), wall.getNano());
    this.offset = wallNanos - mono;
  }

  @Override
  public long nanos() {
    return System.nanoTime() + offset;
  }

  @Override
  public String toString() {
    return "Clock.system()";
  }
}
