package dev.mcpratelimit;

import dev.mcpratelimit.spi.Probe;
import dev.mcpratelimit.spi.LimitState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Contracts every algorithm keeps: exact concurrent grants, refunds, clocks, saturation. */
class AllLimitStatesTest {
  static final long NOW = 1_767_225_600_000_000_000L;
  static final long LIMIT = 1000;

  static Stream<LimitSpec> specs() {
    return Stream.of(
        LimitSpec.tokenBucket(LIMIT, 1, Duration.ofHours(1)),
        LimitSpec.slidingWindow(LIMIT, Duration.ofMinutes(1)),
        LimitSpec.exactSlidingWindow(LIMIT, Duration.ofMinutes(1)),
        LimitSpec.calendarWindow(LIMIT, WindowUnit.HOUR),
        LimitSpec.concurrency(LIMIT));
  }

  @ParameterizedTest
  @MethodSource("specs")
  void eightThreadsOnOneKeyGrantExactlyTheLimit(LimitSpec spec) throws Exception {
    LimitState limiter = LimitState.of(spec);
    LongAdder granted = new LongAdder();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      Thread th = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        Probe p = new Probe();
        for (int i = 0; i < 100_000; i++) {
          if (limiter.tryAcquire(1, NOW, p)) {
            granted.increment();
          }
        }
      });
      th.start();
      threads.add(th);
    }
    start.countDown();
    for (Thread th : threads) {
      th.join();
    }
    assertEquals(LIMIT, granted.sum());
  }

  @ParameterizedTest
  @MethodSource("specs")
  void refundAtTheSameTimeRestoresAFreshState(LimitSpec spec) {
    LimitState used = LimitState.of(spec);
    LimitState fresh = LimitState.of(spec);
    assertTrue(used.tryAcquire(7, NOW, null));
    used.refund(7, NOW, NOW);
    Probe a = new Probe();
    Probe b = new Probe();
    used.tryAcquire(0, NOW, a);
    fresh.tryAcquire(0, NOW, b);
    assertEquals(b.remaining(), a.remaining());
    assertTrue(used.tryAcquire(LIMIT, NOW, null), "the full limit is available again");
    assertFalse(used.tryAcquire(1, NOW, null));
  }

  @ParameterizedTest
  @MethodSource("specs")
  void clockGoingBackwardsNeverGrantsExtraAndNeverThrows(LimitSpec spec) {
    LimitState limiter = LimitState.of(spec);
    assertTrue(limiter.tryAcquire(LIMIT, NOW, null));
    for (long back : new long[] {1, 1_000_000_000L, 3_600_000_000_000L, 86_400_000_000_000L * 400, Long.MAX_VALUE}) {
      long t = NOW - back;
      assertFalse(limiter.tryAcquire(1, t, null), "granted at now - " + back);
    }
    assertFalse(limiter.tryAcquire(1, Long.MIN_VALUE, null));
  }

  @ParameterizedTest
  @MethodSource("specs")
  void hugeCostsAndTimesSaturateInsteadOfWrapping(LimitSpec spec) {
    LimitState limiter = LimitState.of(spec);
    Probe p = new Probe();
    assertFalse(limiter.tryAcquire(Long.MAX_VALUE, NOW, p));
    assertEquals(Probe.NEVER, p.retryAfterNanos());
    assertFalse(limiter.tryAcquire(LIMIT + 1, Long.MAX_VALUE, p));
    assertFalse(limiter.tryAcquire(LIMIT + 1, Long.MIN_VALUE, p));
    assertTrue(limiter.tryAcquire(LIMIT, NOW, p), "denied attempts took nothing");
    assertFalse(limiter.tryAcquire(1, NOW, p));
    assertThrows(IllegalArgumentException.class, () -> limiter.tryAcquire(-1, NOW, null));
    limiter.refund(Long.MAX_VALUE, NOW, NOW);
    assertTrue(limiter.tryAcquire(LIMIT, NOW, null), "a huge refund restores at most the limit");
    assertFalse(limiter.tryAcquire(1, NOW, null));
  }

  @ParameterizedTest
  @MethodSource("specs")
  void farFutureTimesNeverThrow(LimitSpec spec) {
    LimitState limiter = LimitState.of(spec);
    long t = Long.MAX_VALUE;
    long granted = 0;
    for (int i = 0; i < 3 * LIMIT; i++) {
      if (limiter.tryAcquire(1, t, null)) {
        granted++;
      }
    }
    assertEquals(LIMIT, granted, "time saturates: no refill appears from overflow");
  }

  @Test
  void specsRejectBadValuesNamingTheField() {
    assertMessage("capacity must be at least 1, but was 0", () -> LimitSpec.tokenBucket(0, 1, Duration.ofSeconds(1)));
    assertMessage("refillTokens must be at least 1, but was -2", () -> LimitSpec.tokenBucket(1, -2, Duration.ofSeconds(1)));
    assertMessage("refillPeriod must be positive, but was PT-1S", () -> LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(-1)));
    assertMessage("refillTokens must not exceed one per nanosecond", () -> LimitSpec.tokenBucket(1, 10, Duration.ofNanos(5)));
    assertMessage("capacity 4611686018427387904 takes longer than 2^61 ns", () -> LimitSpec.tokenBucket(1L << 62, 1, Duration.ofNanos(1)));
    assertMessage("window must not be null", () -> LimitSpec.slidingWindow(1, null));
    assertMessage("window must be positive, but was PT0S", () -> LimitSpec.slidingWindow(1, Duration.ZERO));
    assertMessage("limit of an exact sliding window must be at most 100000, but was 100001",
        () -> LimitSpec.exactSlidingWindow(100_001, Duration.ofSeconds(1)));
    assertMessage("limit of a calendar window must be at most 1099511627775, but was 1099511627776",
        () -> LimitSpec.calendarWindow(1L << 40, WindowUnit.DAY, ZoneOffset.UTC));
    assertMessage("maxInFlight must be at least 1, but was 0", () -> LimitSpec.concurrency(0));
    assertMessage("window must be at most 2^61 ns", () -> LimitSpec.slidingWindow(1, Duration.ofDays(365 * 100)));
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(expected), () -> "message was: " + e.getMessage());
  }
}
