package dev.mcpratelimit.internal.seam;

/**
 * How {@link dev.mcpratelimit.RateLimiter#acquireBlocking} waits. The engine sleeps by default;
 * tests replace it (through {@link Seams#sleeper}) to advance a fake clock instead.
 */
@FunctionalInterface
public interface Sleeper {
  /** Sleeps on this thread, interruptibly. */
  Sleeper SYSTEM = java.util.concurrent.TimeUnit.NANOSECONDS::sleep;

  /**
   * Waits.
   *
   * @param nanos how long
   * @throws InterruptedException if interrupted
   */
  void sleep(long nanos) throws InterruptedException;
}
