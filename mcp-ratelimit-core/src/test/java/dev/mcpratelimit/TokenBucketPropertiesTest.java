package dev.mcpratelimit;

import dev.mcpratelimit.spi.Probe;
import dev.mcpratelimit.spi.LimitState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** GCRA token bucket: conformance over random traces, exact retry-after, reservations. */
class TokenBucketPropertiesTest {
  static final long T0 = 1_767_225_600_000_000_000L; // 2026-01-01T00:00:00Z

  record Step(long dt, long cost) {}

  @Provide
  Arbitrary<List<Step>> traces() {
    Arbitrary<Long> dt = Arbitraries.oneOf(Arbitraries.just(0L), Arbitraries.longs().between(0, 50_000_000L),
        Arbitraries.longs().between(0, 5_000_000_000L));
    Arbitrary<Long> cost = Arbitraries.longs().between(0, 12);
    return Combinators.combine(dt, cost).as(Step::new).list().ofMinSize(1).ofMaxSize(300);
  }

  @Property(tries = 300)
  void grantedCostInAnyIntervalIsBoundedByCapacityPlusRefill(
      @ForAll @IntRange(min = 1, max = 10) int capacity,
      @ForAll @IntRange(min = 1, max = 5) int refill,
      @ForAll @LongRange(min = 1_000_000, max = 2_000_000_000L) long periodNanos,
      @ForAll("traces") List<Step> trace) {
    LimitSpec.TokenBucket spec = LimitSpec.tokenBucket(capacity, refill, Duration.ofNanos(periodNanos));
    LimitState bucket = LimitState.of(spec);
    long interval = spec.nanosPerToken();
    List<long[]> grants = new ArrayList<>(); // (time, cost)
    long now = T0;
    for (Step s : trace) {
      now += s.dt();
      if (bucket.tryAcquire(s.cost(), now, null) && s.cost() > 0) {
        grants.add(new long[] {now, s.cost()});
      }
    }
    for (int i = 0; i < grants.size(); i++) {
      long sum = 0;
      for (int j = i; j < grants.size(); j++) {
        sum += grants.get(j)[1];
        long t = grants.get(j)[0] - grants.get(i)[0];
        assertTrue(sum <= capacity + t / interval,
            () -> "granted more than capacity + refill in an interval: " + grants);
      }
    }
  }

  @Property(tries = 300)
  void retryAfterIsExact(
      @ForAll @IntRange(min = 1, max = 10) int capacity,
      @ForAll @IntRange(min = 1, max = 5) int refill,
      @ForAll @LongRange(min = 1_000, max = 2_000_000_000L) long periodNanos,
      @ForAll("traces") List<Step> trace,
      @ForAll @IntRange(min = 1, max = 10) int finalCost) {
    LimitSpec.TokenBucket spec = LimitSpec.tokenBucket(capacity, refill, Duration.ofNanos(periodNanos));
    LimitState a = LimitState.of(spec);
    LimitState b = LimitState.of(spec);
    long now = T0;
    for (Step s : trace) {
      now += s.dt();
      a.tryAcquire(s.cost(), now, null);
      b.tryAcquire(s.cost(), now, null);
    }
    Probe p = new Probe();
    if (a.tryAcquire(finalCost, now, p)) {
      assertTrue(b.tryAcquire(finalCost, now, null));
      return;
    }
    b.tryAcquire(finalCost, now, null); // keep the twins identical (a denial changes nothing)
    if (finalCost > capacity) {
      assertEquals(Probe.NEVER, p.retryAfterNanos());
      return;
    }
    long retry = p.retryAfterNanos();
    assertTrue(retry > 0);
    assertFalse(a.tryAcquire(finalCost, now + retry - 1, null), "one nanosecond early must still deny");
    assertTrue(b.tryAcquire(finalCost, now + retry, null), "at now + retryAfter it must succeed");
  }

  @Test
  void fullBucketAllowsBurstThenRefillsAtRate() {
    LimitState bucket = LimitState.of(LimitSpec.tokenBucket(10, 5, Duration.ofSeconds(1)));
    Probe p = new Probe();
    for (int i = 0; i < 10; i++) {
      assertTrue(bucket.tryAcquire(1, T0, p));
      assertEquals(9 - i, p.remaining());
    }
    assertFalse(bucket.tryAcquire(1, T0, p));
    assertEquals(200_000_000L, p.retryAfterNanos());
    assertEquals(T0 + 2_000_000_000L, p.resetAtNanos());
    assertTrue(bucket.tryAcquire(1, T0 + 200_000_000L, p));
  }

  @Test
  void costAboveCapacityCanNeverFit() {
    LimitState bucket = LimitState.of(LimitSpec.tokenBucket(5, 1, Duration.ofSeconds(1)));
    Probe p = new Probe();
    assertFalse(bucket.tryAcquire(6, T0, p));
    assertEquals(Probe.NEVER, p.retryAfterNanos());
    assertEquals(5, p.remaining());
    assertFalse(bucket.tryAcquire(Long.MAX_VALUE, T0, p));
    assertTrue(bucket.tryAcquire(5, T0, p), "a denied huge cost took nothing");
  }

  @Test
  void reserveBooksFutureSlotsInOrderWithinMaxWait() {
    LimitState bucket = LimitState.of(LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(1)));
    Probe p = new Probe();
    long maxWait = Duration.ofSeconds(3).toNanos();
    assertTrue(bucket.reserve(1, T0, maxWait, p));
    assertEquals(0, p.waitNanos());
    for (int i = 1; i <= 3; i++) {
      assertTrue(bucket.reserve(1, T0, maxWait, p));
      assertEquals(i * 1_000_000_000L, p.waitNanos(), "waiter " + i + " is served in order");
    }
    assertFalse(bucket.reserve(1, T0, maxWait, p), "a fourth waiter would wait past maxWait");
    assertEquals(4_000_000_000L, p.retryAfterNanos());
  }

  @Test
  void refundRestoresExactly() {
    LimitState bucket = LimitState.of(LimitSpec.tokenBucket(3, 1, Duration.ofSeconds(1)));
    assertTrue(bucket.tryAcquire(2, T0, null));
    assertTrue(bucket.tryAcquire(1, T0, null));
    bucket.refund(2, T0, T0);
    Probe p = new Probe();
    bucket.tryAcquire(0, T0, p);
    assertEquals(2, p.remaining());
    bucket.refund(100, T0, T0);
    bucket.tryAcquire(0, T0, p);
    assertEquals(3, p.remaining(), "never refunded beyond capacity");
  }
}
