package dev.mcpratelimit.internal;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.spi.LimitState;
import dev.mcpratelimit.spi.Probe;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * Sliding window estimated from two counters of consecutive windows: the count of the current window plus
 * the previous window's count weighted by the fraction of it that the sliding window still
 * covers. The comparison is exact (128-bit products, no division) and decides everything; the
 * remaining cost and the retry-after it implies are solved in closed form (floating point) and
 * then corrected to its exact boundary, so a probe costs a few comparisons, not a bisection.
 *
 * <p>The state (window index, previous count, current count) is swapped by CAS. When it fits one
 * {@code long} — counts of {@code b} bits each, where {@code b} holds the limit, and the index of
 * any clamped time in the other {@code 64 - 2b} bits (e.g. limits up to 262,143 per minute, 32,767
 * per second) — it is packed there and nothing is allocated; otherwise it is an immutable
 * snapshot, and a grant allocates one small object. A denial allocates nothing either way.
 */
final class SlidingWindowCounter implements LimitState {
  private static final VarHandle STATE;
  private static final VarHandle PACKED;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      STATE = lookup.findVarHandle(SlidingWindowCounter.class, "state", State.class);
      PACKED = lookup.findVarHandle(SlidingWindowCounter.class, "packed", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Counts of window number {@code index} and of the window before it. */
  private static final class State {
    final long index;
    final long previous;
    final long current;

    State(long index, long previous, long current) {
      this.index = index;
      this.previous = previous;
      this.current = current;
    }
  }

  private static final State EMPTY = new State(Long.MIN_VALUE, 0, 0);

  private final LimitSpec.SlidingWindow spec;
  private final long limit;
  private final long window;
  /** Bits per count in {@link #packed}; 0 when the state does not fit a long and {@link #state} holds it. */
  private final int countBits;
  /**
   * index + 2^(63 - 2 countBits), previous count, current count, from the top. 0 (index below any
   * clamped time's, counts 0) is the empty state.
   */
  @SuppressWarnings("unused") // accessed through PACKED
  private volatile long packed;
  private volatile State state = EMPTY;

  SlidingWindowCounter(LimitSpec.SlidingWindow spec) {
    this(spec, true);
  }

  private SlidingWindowCounter(LimitSpec.SlidingWindow spec, boolean pack) {
    this.spec = spec;
    this.limit = spec.limit();
    this.window = spec.window().toNanos();
    this.countBits = pack ? countBits(limit, window) : 0;
  }

  /**
   * For tests: starts from the given counts of window {@code index} and the one before it;
   * {@code pack} false keeps the state in an object even where it would fit a long.
   */
  SlidingWindowCounter(LimitSpec.SlidingWindow spec, boolean pack, long index, long previous, long current) {
    this(spec, pack);
    if (countBits > 0) {
      long reach = Arith.MAX_TIME / window + 1;
      if (Math.abs(index) > reach || previous > limit || current > limit) {
        throw new IllegalArgumentException("state out of range: " + index + ", " + previous + ", " + current);
      }
      packed = pack(index, previous, current);
    } else {
      state = new State(index, previous, current);
    }
  }

  /** @return whether the state is packed in a long (for tests) */
  boolean isPacked() {
    return countBits > 0;
  }

  /** Bits per count when counts up to {@code limit} and every window index fit one long, else 0. */
  private static int countBits(long limit, long window) {
    int bits = 64 - Long.numberOfLeadingZeros(limit);
    long reach = Arith.MAX_TIME / window + 1; // |floorDiv(t, window)| <= reach for clamped t
    return 2 * bits < 63 && reach < 1L << (63 - 2 * bits) ? bits : 0;
  }

  private long pack(long index, long previous, long current) {
    long bias = 1L << (63 - 2 * countBits);
    return ((index + bias) << (2 * countBits)) | (previous << countBits) | current;
  }

  private long indexOf(long p) {
    return (p >>> (2 * countBits)) - (1L << (63 - 2 * countBits));
  }

  private long previousOf(long p) {
    return (p >>> countBits) & ((1L << countBits) - 1);
  }

  private long currentOf(long p) {
    return p & ((1L << countBits) - 1);
  }

  @Override
  public LimitSpec spec() {
    return spec;
  }

  /** Previous count of state (si, sp, sc) as seen from window {@code index}. */
  private static long previousAt(long si, long sp, long sc, long index) {
    if (si == index) {
      return sp;
    } else if (si == index - 1) {
      return sc;
    } else if (si > index) {
      return sp; // clock went backwards: keep counting in the newer window
    }
    return 0;
  }

  /** Current count of state (si, sc) as seen from window {@code index}. */
  private static long currentAt(long si, long sc, long index) {
    return si >= index ? sc : 0;
  }

  /** Part of the previous window the sliding window ending at {@code now} still covers. */
  private long leftAt(long si, long now, long index) {
    return si > index ? window : window - (now - index * window);
  }

  /**
   * The exact test, the source of truth for every decision and report: {@code cost} fits when
   * {@code cur + cost + prev * left / window <= limit}, {@code left} being the part of the
   * previous window the sliding window still covers (128-bit products, no division).
   */
  private boolean fits(long prev, long cur, long left, long cost) {
    long room = limit - cur - cost;
    if (room < 0) {
      return false;
    }
    return Arith.compareProducts(prev, left, room, window) <= 0;
  }

  @Override
  public boolean tryAcquire(long cost, long now, @Nullable Probe probe) {
    Arith.checkCost(cost);
    now = Arith.clampTime(now);
    long index = Math.floorDiv(now, window);
    for (; ; ) {
      long p = 0;
      State s = EMPTY;
      long si;
      long sp;
      long sc;
      if (countBits > 0) {
        p = packed;
        si = indexOf(p);
        sp = previousOf(p);
        sc = currentOf(p);
      } else {
        s = state;
        si = s.index;
        sp = s.previous;
        sc = s.current;
      }
      if (si > index + 1) {
        // stamped more than one window ahead: the clock jumped forward and back. Clamp the
        // counts into the current window, so they block for at most two windows, hint true
        if (countBits > 0) {
          PACKED.compareAndSet(this, p, pack(index, sp, sc));
        } else {
          STATE.compareAndSet(this, s, new State(index, sp, sc));
        }
        continue;
      }
      long prev = previousAt(si, sp, sc, index);
      long cur = currentAt(si, sc, index);
      long left = leftAt(si, now, index);
      if (fits(prev, cur, left, cost)) {
        if (cost == 0) {
          if (probe != null) {
            probe.set(true, remaining(prev, cur, left), 0, resetAt(si, prev, cur, index, now), 0);
          }
          return true;
        }
        long k = Math.max(index, si); // the window counting the grant, later if the clock went back
        long next = Arith.satAdd(cur, cost); // seen from window k, the counts are (prev, cur) too
        boolean swapped = countBits > 0
            ? PACKED.compareAndSet(this, p, pack(k, prev, next))
            : STATE.compareAndSet(this, s, new State(k, prev, next));
        if (swapped) {
          if (probe != null) {
            probe.set(true, remaining(prev, next, left), 0, (k + 2) * window, 0);
          }
          return true;
        }
        continue;
      }
      if (probe != null) {
        long retry = cost > limit ? Probe.NEVER : retryAfter(si, prev, cur, index, cost, now);
        probe.set(false, remaining(prev, cur, left), retry, resetAt(si, prev, cur, index, now), 0);
      }
      return false;
    }
  }

  /**
   * Smallest t - now at which {@code cost} (at most the limit) fits if nothing else happens, given
   * the counts (prev, cur) seen from window {@code index} at {@code now}, where it does not fit.
   * The estimate never increases with time: within the effective window k it falls as the
   * previous window's weight shrinks (before window k, when the clock went backwards, it stays as
   * at k's start), in window k + 1 the current count becomes the previous one (same total at the
   * boundary), and from window k + 2 on nothing counts. So the answer is in window k when the
   * current count leaves room for the cost, else in window k + 1, where the weighted count first
   * drops to the room left: solved in floating point, then corrected to the exact boundary of
   * {@link #fits}.
   */
  private long retryAfter(long si, long prev, long cur, long index, long cost, long now) {
    long k = Math.max(index, si);
    long start;
    long weighted;
    long current;
    if (cur <= limit - cost) { // in window k, once prev has lost enough weight
      start = k * window;
      weighted = prev;
      current = cur;
    } else { // in window k + 1, once cur, then the previous count, has lost enough weight
      start = (k + 1) * window;
      weighted = cur;
      current = 0;
    }
    // smallest e with weighted * (window - e) <= room * window
    long room = limit - cost - current;
    long guess = weighted <= room ? 0 : window - (long) ((double) room * window / weighted);
    long e = firstFit(weighted, current, cost, Math.max(0, Math.min(window, guess)));
    return Arith.satAdd(Arith.satSub(start, now), e); // saturating only at the ends of the time range
  }

  /**
   * Smallest e in [0, window] such that {@code cost} fits with counts (prev, cur) when the
   * sliding window covers {@code window - e} of the previous window (at e = window it fits),
   * searched exactly with {@link #fits} from {@code guess} outwards: two probes when the guess is
   * right, galloping then bisecting when it is off.
   */
  private long firstFit(long prev, long cur, long cost, long guess) {
    long lo = -1; // does not fit at lo, or -1
    long hi = window; // fits at hi
    if (guess == window || fits(prev, cur, window - guess, cost)) {
      hi = guess;
      for (long step = 1; hi > 0; step <<= 1) {
        long e = Math.max(0, hi - step);
        if (!fits(prev, cur, window - e, cost)) {
          lo = e;
          break;
        }
        hi = e;
      }
    } else {
      lo = guess;
      for (long step = 1; ; step <<= 1) {
        long e = step >= window - lo ? window : lo + step;
        if (e == window || fits(prev, cur, window - e, cost)) {
          hi = e;
          break;
        }
        lo = e;
      }
    }
    while (hi - lo > 1) {
      long mid = lo + (hi - lo) / 2;
      if (fits(prev, cur, window - mid, cost)) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return hi;
  }

  /**
   * Whole cost that would fit now (the estimate rounded up, so never over-reported): {@code limit
   * - cur - ceil(prev * left / window)}, solved in floating point and then corrected to the exact
   * boundary of {@link #fits}.
   */
  private long remaining(long prev, long cur, long left) {
    long max = limit - cur;
    if (prev == 0 || max <= 0) {
      return Math.max(0, max);
    }
    long guess = max - (long) Math.ceil((double) prev * left / window);
    guess = Math.max(0, Math.min(max, guess));
    // largest c in [0, max] with c == 0 or fits(c); fits is monotone in c
    long lo; // fits, or is 0
    long hi; // nothing above it fits
    if (guess == 0 || fits(prev, cur, left, guess)) {
      lo = guess;
      if (lo == max || !fits(prev, cur, left, lo + 1)) {
        return lo; // the usual case: the guess is exact
      }
      lo++;
      hi = max;
      for (long step = 2; lo < max; step <<= 1) {
        long c = step >= max - lo ? max : lo + step;
        if (!fits(prev, cur, left, c)) {
          hi = c - 1;
          break;
        }
        lo = c;
      }
    } else {
      hi = guess - 1;
      lo = 0;
      for (long step = 1; hi > 0; step <<= 1) {
        long c = Math.max(0, hi - step + 1);
        if (c == 0 || fits(prev, cur, left, c)) {
          lo = c;
          break;
        }
        hi = c - 1;
      }
    }
    while (lo < hi) {
      long mid = lo + (hi - lo + 1) / 2;
      if (fits(prev, cur, left, mid)) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /** When every counted cost has left the window, given the counts (prev, cur) seen from {@code index}. */
  private long resetAt(long si, long prev, long cur, long index, long now) {
    if (cur > 0) {
      return (Math.max(index, si) + 2) * window;
    }
    if (prev > 0) {
      return (index + 1) * window;
    }
    return now;
  }

  @Override
  public void refund(long cost, long acquiredAt, long now) {
    Arith.checkCost(cost);
    long takenIndex = Math.floorDiv(Arith.clampTime(acquiredAt), window);
    for (; ; ) {
      long p = 0;
      State s = EMPTY;
      long si;
      long sp;
      long sc;
      if (countBits > 0) {
        p = packed;
        si = indexOf(p);
        sp = previousOf(p);
        sc = currentOf(p);
      } else {
        s = state;
        si = s.index;
        sp = s.previous;
        sc = s.current;
      }
      if (si == takenIndex) {
        sc = Math.max(0, sc - cost);
      } else if (si == takenIndex + 1) {
        sp = Math.max(0, sp - cost);
      } else {
        return; // that window no longer counts
      }
      boolean swapped = countBits > 0
          ? PACKED.compareAndSet(this, p, pack(si, sp, sc))
          : STATE.compareAndSet(this, s, new State(si, sp, sc));
      if (swapped) {
        return;
      }
    }
  }

  @Override
  public long idleAt(long now) {
    long si;
    long sp;
    long sc;
    if (countBits > 0) {
      long p = packed;
      si = indexOf(p);
      sp = previousOf(p);
      sc = currentOf(p);
    } else {
      State s = state;
      si = s.index;
      sp = s.previous;
      sc = s.current;
    }
    if (sc == 0 && sp == 0) {
      return Long.MIN_VALUE;
    }
    return sc > 0 ? (si + 2) * window : (si + 1) * window;
  }
}
