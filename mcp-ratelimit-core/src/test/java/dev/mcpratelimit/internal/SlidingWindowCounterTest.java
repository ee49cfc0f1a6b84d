package dev.mcpratelimit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.spi.Probe;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The two-counter sliding window's closed-form {@code remaining} and retry-after against their
 * definitions, computed here the slow way: by bisection over the exact test, as the limiter did
 * before it solved them in closed form.
 */
class SlidingWindowCounterTest {

  /** The limiter's state and arithmetic, with remaining and retry-after found by bisection. */
  static final class Reference {
    final long limit;
    final long window;
    long index;
    long previous;
    long current;

    Reference(long limit, long window, long index, long previous, long current) {
      this.limit = limit;
      this.window = window;
      this.index = index;
      this.previous = previous;
      this.current = current;
    }

    long previousAt(long i) {
      if (index == i) {
        return previous;
      } else if (index == i - 1) {
        return current;
      } else if (index > i) {
        return previous;
      }
      return 0;
    }

    long currentAt(long i) {
      return index >= i ? current : 0;
    }

    boolean fits(long cost, long now) {
      long i = Math.floorDiv(now, window);
      long prev = previousAt(i);
      long cur = currentAt(i);
      long elapsed = index > i ? 0 : now - i * window;
      long room = limit - cur - cost;
      if (room < 0) {
        return false;
      }
      return Arith.compareProducts(prev, window - elapsed, room, window) <= 0;
    }

    /** Largest cost in [1, limit] that fits, or 0. */
    long remaining(long now) {
      if (!fits(1, now)) {
        return 0;
      }
      long lo = 1;
      long hi = limit;
      while (lo < hi) {
        long mid = lo + (hi - lo + 1) / 2;
        if (fits(mid, now)) {
          lo = mid;
        } else {
          hi = mid - 1;
        }
      }
      return lo;
    }

    /** Smallest t >= 0 at which the cost fits at now + t. */
    long retryAfter(long cost, long now) {
      long i = Math.floorDiv(now, window);
      long lo = 0;
      long hi = 2 * window + (index > i ? (index - i) * window : 0);
      while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (fits(cost, now + mid)) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      return lo;
    }

    long resetAt(long now) {
      long i = Math.floorDiv(now, window);
      if (currentAt(i) > 0) {
        return (Math.max(i, index) + 2) * window;
      }
      if (previousAt(i) > 0) {
        return (i + 1) * window;
      }
      return now;
    }

    /** What the limiter's probe must read after {@code tryAcquire(cost, now)}; applies a grant. */
    Probe tryAcquire(long cost, long now) {
      Probe p = new Probe();
      if (index > Math.floorDiv(now, window) + 1) {
        index = Math.floorDiv(now, window); // stamped more than a window ahead: clamped, counts kept
      }
      if (fits(cost, now)) {
        if (cost > 0) {
          long i = Math.max(Math.floorDiv(now, window), index);
          long prev = previousAt(i);
          current = currentAt(i) + cost;
          previous = prev;
          index = i;
        }
        return p.set(true, remaining(now), 0, resetAt(now), 0);
      }
      long retry = cost > limit ? Probe.NEVER : retryAfter(cost, now);
      return p.set(false, remaining(now), retry, resetAt(now), 0);
    }
  }

  /** One call: at {@code windows} whole windows plus {@code within} from the state's window. */
  record Call(long windows, long within, long cost) {}

  record Case(long limit, long window, long index, long previous, long current, List<Call> calls) {}

  @Provide
  Arbitrary<Case> cases() {
    Arbitrary<Long> windows = Arbitraries.oneOf(
        Arbitraries.longs().between(1, 1_000),
        Arbitraries.longs().between(1_000, 1_000_000_000_000L),
        Arbitraries.longs().between(1_000_000_000_000L, 1L << 58),
        Arbitraries.of(60_000_000_000L, 3_600_000_000_000L));
    Arbitrary<Long> limits = Arbitraries.oneOf(
        Arbitraries.longs().between(1, 20),
        Arbitraries.longs().between(1, 100_000),
        Arbitraries.longs().between(1, 1L << 40),
        Arbitraries.longs().between(1L << 40, 1L << 62));
    return Combinators.combine(limits, windows).flatAs((limit, window) -> {
      Arbitrary<Long> count = Arbitraries.oneOf(
          Arbitraries.of(0L, limit), Arbitraries.longs().between(0, limit));
      Arbitrary<Long> cost = Arbitraries.oneOf(
          Arbitraries.longs().between(0, limit), Arbitraries.longs().between(0, Math.min(3, limit + 1)),
          Arbitraries.of(limit, limit + 1));
      // times from 3 windows before the state's window (clock went backwards) to 3 after
      Arbitrary<Call> call = Combinators.combine(
          Arbitraries.longs().between(-3, 3), Arbitraries.longs().between(0, window - 1), cost)
          .as(Call::new);
      long maxIndex = (1L << 60) / window;
      return Combinators.combine(
          Arbitraries.longs().between(-maxIndex, maxIndex), count, count, call.list().ofMinSize(1).ofMaxSize(12))
          .as((index, prev, cur, calls) -> new Case(limit, window, index, prev, cur, calls));
    });
  }

  @Property(tries = 2000)
  void remainingAndRetryAfterMatchTheirBisectionDefinitions(@ForAll("cases") Case c, @ForAll boolean pack) {
    LimitSpec.SlidingWindow spec = new LimitSpec.SlidingWindow(c.limit(), Duration.ofNanos(c.window()), false);
    SlidingWindowCounter limiter = new SlidingWindowCounter(spec, pack, c.index(), c.previous(), c.current());
    Reference ref = new Reference(c.limit(), c.window(), c.index(), c.previous(), c.current());
    long base = c.index() * c.window();
    Probe got = new Probe();
    for (Call call : c.calls()) {
      long now = base + call.windows() * c.window() + call.within();
      limiter.tryAcquire(call.cost(), now, got);
      Probe want = ref.tryAcquire(call.cost(), now);
      String at = "cost " + call.cost() + " at " + now + " (" + call + ")";
      assertEquals(want.granted(), got.granted(), "granted, " + at);
      assertEquals(want.remaining(), got.remaining(), "remaining, " + at);
      assertEquals(want.retryAfterNanos(), got.retryAfterNanos(), "retry-after, " + at);
      assertEquals(want.resetAtNanos(), got.resetAtNanos(), "reset, " + at);
    }
  }

  /** Packed where counts and every window index fit one long, an object elsewhere. */
  @Test
  void stateIsPackedWhereItFitsOneLong() {
    assertTrue(packed(100, Duration.ofMinutes(1)));
    assertTrue(packed((1 << 18) - 1, Duration.ofMinutes(1)));
    assertFalse(packed(1 << 18, Duration.ofMinutes(1)));
    assertTrue(packed(32_767, Duration.ofSeconds(1)));
    assertFalse(packed(32_768, Duration.ofSeconds(1)));
    assertTrue(packed(1, Duration.ofNanos(1L << 61)));
    assertFalse(packed(1, Duration.ofNanos(1)));
    assertFalse(packed(1L << 40, Duration.ofSeconds(1)));
  }

  private static boolean packed(long limit, Duration window) {
    return new SlidingWindowCounter(LimitSpec.slidingWindow(limit, window)).isPacked();
  }

  /** Both layouts run the same sequence of grants, denials, refunds and clock jumps alike. */
  @Property(tries = 500)
  void packedAndObjectStatesBehaveAlike(@ForAll("cases") Case c) {
    LimitSpec.SlidingWindow spec = new LimitSpec.SlidingWindow(c.limit(), Duration.ofNanos(c.window()), false);
    SlidingWindowCounter a = new SlidingWindowCounter(spec);
    SlidingWindowCounter b = new SlidingWindowCounter(spec, false, Long.MIN_VALUE, 0, 0);
    long base = c.index() * c.window();
    Probe pa = new Probe();
    Probe pb = new Probe();
    long last = base;
    for (Call call : c.calls()) {
      long now = base + call.windows() * c.window() + call.within();
      if (call.cost() % 5 == 4) { // sometimes a refund of the previous call instead
        a.refund(call.cost(), last, now);
        b.refund(call.cost(), last, now);
      } else {
        assertEquals(b.tryAcquire(call.cost(), now, pb), a.tryAcquire(call.cost(), now, pa));
        assertEquals(pb.toString(), pa.toString(), call.toString());
      }
      assertEquals(b.idleAt(now), a.idleAt(now), "idle at, " + call);
      last = now;
    }
  }

  /** Counts so large that the floating-point first guess is off by more than one. */
  @Test
  void hugeCountsAreCorrectedExactly() {
    long limit = (1L << 62) - 7;
    long window = (1L << 58) - 3;
    LimitSpec.SlidingWindow spec = new LimitSpec.SlidingWindow(limit, Duration.ofNanos(window), false);
    for (long prev : new long[] {limit, limit - 1, limit / 3, 12_345_678_901L}) {
      for (long within : new long[] {1, window / 3, window / 2 + 1, window - 2}) {
        SlidingWindowCounter limiter = new SlidingWindowCounter(spec, true, 5, prev, 17);
        Reference ref = new Reference(limit, window, 5, prev, 17);
        long now = 5 * window + within;
        for (long cost : new long[] {0, 1, limit / 2, limit - 17}) {
          Probe got = new Probe();
          limiter.tryAcquire(cost, now, got);
          Probe want = ref.tryAcquire(cost, now);
          assertEquals(want.toString(), got.toString(), "prev " + prev + " within " + within + " cost " + cost);
        }
      }
    }
  }
}
