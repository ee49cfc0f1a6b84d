package dev.mcpratelimit.internal;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.Limiter;
import dev.mcpratelimit.Probe;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * Sliding window estimated from two fixed-window counters: the count of the current window plus
 * the previous window's count weighted by the fraction of it that the sliding window still
 * covers. The comparison is exact (128-bit products, no division) and decides everything; the
 * remaining cost and the retry-after it implies are solved in closed form (floating point) and
 * then corrected to its exact boundary, so a probe costs a few comparisons, not a bisection. State
 * is an immutable snapshot swapped by CAS, so a grant allocates one small object; a denial
 * allocates nothing.
 */
final class SlidingWindowCounter implements Limiter {
  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(SlidingWindowCounter.class, "state", State.class);
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
  private volatile State state = EMPTY;

  SlidingWindowCounter(LimitSpec.SlidingWindow spec) {
    this.spec = spec;
    this.limit = spec.limit();
    this.window = spec.window().toNanos();
  }

  /** For tests: starts from the given counts of window {@code index} and the one before it. */
  SlidingWindowCounter(LimitSpec.SlidingWindow spec, long index, long previous, long current) {
    this(spec);
    this.state = new State(index, previous, current);
  }

  @Override
  public LimitSpec spec() {
    return spec;
  }

  /** Previous and current counts as seen from window {@code index}. */
  private static long previousAt(State s, long index) {
    if (s.index == index) {
      return s.previous;
    } else if (s.index == index - 1) {
      return s.current;
    } else if (s.index > index) {
      return s.previous; // clock went backwards: keep counting in the newer window
    }
    return 0;
  }

  private static long currentAt(State s, long index) {
    return s.index >= index ? s.current : 0;
  }

  /** Whether {@code cost} fits at {@code now} given snapshot {@code s}. */
  private boolean fits(State s, long cost, long now) {
    long index = Math.floorDiv(now, window);
    long elapsed = s.index > index ? 0 : now - index * window;
    return fits(previousAt(s, index), currentAt(s, index), window - elapsed, cost);
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
      State s = state;
      if (fits(s, cost, now)) {
        if (cost == 0) {
          if (probe != null) {
            probe.set(true, remaining(s, now), 0, resetAt(s, now), 0);
          }
          return true;
        }
        long effIndex = Math.max(index, s.index);
        State next = new State(effIndex, previousAt(s, effIndex), Arith.satAdd(currentAt(s, effIndex), cost));
        if (STATE.compareAndSet(this, s, next)) {
          if (probe != null) {
            probe.set(true, remaining(next, now), 0, resetAt(next, now), 0);
          }
          return true;
        }
        continue;
      }
      if (probe != null) {
        long retry = cost > limit ? Probe.NEVER : retryAfter(s, cost, now);
        probe.set(false, remaining(s, now), retry, resetAt(s, now), 0);
      }
      return false;
    }
  }

  /**
   * Smallest t - now at which {@code cost} (at most the limit) fits if nothing else happens. The
   * estimate never increases with time: within the effective window k it falls as the previous
   * window's weight shrinks, in window k + 1 the current count becomes the previous one (same
   * total at the boundary), and from window k + 2 on nothing counts. So the answer is where the
   * weighted count first drops to the room left, solved in floating point and then corrected to
   * the exact boundary of {@link #fits}.
   */
  private long retryAfter(State s, long cost, long now) {
    long index = Math.floorDiv(now, window);
    long k = Math.max(index, s.index); // before window k (clock went backwards): as at its start
    long prev = previousAt(s, index);
    long cur = currentAt(s, index);
    long start;
    long weighted;
    long room;
    if (cur <= limit - cost) { // fits in window k once prev has lost enough weight
      start = k * window;
      weighted = prev;
      room = limit - cost - cur;
    } else { // fits in window k + 1 once cur, then the previous count, has lost enough weight
      start = (k + 1) * window;
      weighted = cur;
      room = limit - cost;
    }
    // smallest e with weighted * (window - e) <= room * window
    long e = weighted <= room ? 0 : window - (long) ((double) room * window / weighted);
    // saturating: times near the ends of the clamped range plus two windows may not fit a long
    long bound = Arith.satSub(Arith.satAdd(k * window, 2 * window), now); // all expired by then
    long guess = Math.max(0, Math.min(bound, Arith.satAdd(Arith.satSub(start, now), e)));
    return firstFit(s, cost, now, guess, bound);
  }

  /**
   * Smallest t in [0, bound] such that {@code cost} fits at {@code now + t} ({@code bound} is
   * known to fit), searched exactly with {@link #fits} from {@code guess} outwards: two probes
   * when the guess is right, galloping then bisecting when it is off.
   */
  private long firstFit(State s, long cost, long now, long guess, long bound) {
    long lo = -1; // does not fit at now + lo, or -1
    long hi = bound; // fits at now + hi
    if (guess == bound || fits(s, cost, now + guess)) {
      hi = guess;
      for (long step = 1; hi > 0; step <<= 1) {
        long t = Math.max(0, hi - step);
        if (!fits(s, cost, now + t)) {
          lo = t;
          break;
        }
        hi = t;
      }
    } else {
      lo = guess;
      for (long step = 1; ; step <<= 1) {
        long t = step >= bound - lo ? bound : lo + step;
        if (t == bound || fits(s, cost, now + t)) {
          hi = t;
          break;
        }
        lo = t;
      }
    }
    while (hi - lo > 1) {
      long mid = lo + (hi - lo) / 2;
      if (fits(s, cost, now + mid)) {
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
  private long remaining(State s, long now) {
    long index = Math.floorDiv(now, window);
    long left = s.index > index ? window : window - (now - index * window);
    long prev = previousAt(s, index);
    long cur = currentAt(s, index);
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

  /** When every counted cost has left the window. */
  private long resetAt(State s, long now) {
    long index = Math.floorDiv(now, window);
    if (currentAt(s, index) > 0) {
      return (Math.max(index, s.index) + 2) * window;
    }
    if (previousAt(s, index) > 0) {
      return (index + 1) * window;
    }
    return now;
  }

  @Override
  public void refund(long cost, long acquiredAt, long now) {
    Arith.checkCost(cost);
    long takenIndex = Math.floorDiv(Arith.clampTime(acquiredAt), window);
    for (; ; ) {
      State s = state;
      State next;
      if (s.index == takenIndex) {
        next = new State(s.index, s.previous, Math.max(0, s.current - cost));
      } else if (s.index == takenIndex + 1) {
        next = new State(s.index, Math.max(0, s.previous - cost), s.current);
      } else {
        return; // that window no longer counts
      }
      if (STATE.compareAndSet(this, s, next)) {
        return;
      }
    }
  }

  @Override
  public long idleAt(long now) {
    State s = state;
    if (s.current == 0 && s.previous == 0) {
      return Long.MIN_VALUE;
    }
    return s.current > 0 ? (s.index + 2) * window : (s.index + 1) * window;
  }
}
