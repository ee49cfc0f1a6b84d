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
 * covers. The comparison is exact (128-bit products, no division). State is an immutable
 * snapshot swapped by CAS, so a grant allocates one small object; a denial allocates nothing.
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
    long prev = previousAt(s, index);
    long cur = currentAt(s, index);
    long elapsed = s.index > index ? 0 : now - index * window;
    long room = limit - cur - cost;
    if (room < 0) {
      return false;
    }
    // cur + cost + prev * (window - elapsed) / window <= limit
    return Arith.compareProducts(prev, window - elapsed, room, window) <= 0;
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

  /** Smallest t - now, t > now, at which {@code cost} fits if nothing else happens. */
  private long retryAfter(State s, long cost, long now) {
    // the estimate never increases with time, and everything has expired two windows later
    long lo = 0;
    long hi = 2 * window;
    if (s.index > Math.floorDiv(now, window)) {
      hi += (s.index - Math.floorDiv(now, window)) * window; // clock went backwards
    }
    while (lo < hi) {
      long mid = lo + (hi - lo) / 2;
      if (fits(s, cost, now + mid)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  /** Whole cost that would fit now (the estimate rounded up, so never over-reported). */
  private long remaining(State s, long now) {
    if (!fits(s, 1, now)) {
      return 0;
    }
    long lo = 1;
    long hi = limit;
    while (lo < hi) {
      long mid = lo + (hi - lo + 1) / 2;
      if (fits(s, mid, now)) {
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
