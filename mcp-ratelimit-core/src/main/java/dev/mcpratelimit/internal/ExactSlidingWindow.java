package dev.mcpratelimit.internal;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.Limiter;
import dev.mcpratelimit.Probe;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Exact sliding window: the grant times of the last {@code limit} units of cost, oldest first, in
 * a ring. A cost {@code c} fits when the c-th oldest time has left the window. Multi-word state,
 * so it is guarded by this object's monitor; meant for small limits.
 */
final class ExactSlidingWindow implements Limiter {
  private static final long EMPTY = Arith.MIN_TIME;

  private final LimitSpec.SlidingWindow spec;
  private final long window;
  private final long[] log; // ring, oldest at head
  private int head;

  ExactSlidingWindow(LimitSpec.SlidingWindow spec) {
    this.spec = spec;
    this.window = spec.window().toNanos();
    this.log = new long[Math.toIntExact(spec.limit())];
    Arrays.fill(log, EMPTY);
  }

  @Override
  public LimitSpec spec() {
    return spec;
  }

  private long at(int i) {
    int idx = head + i;
    return log[idx >= log.length ? idx - log.length : idx];
  }

  /** Entries still inside the window at {@code now} (entries are sorted, newest last). */
  private int inWindow(long now) {
    int n = log.length;
    int lo = 0;
    int hi = n; // first index whose entry is inside the window
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (Arith.satSub(now, at(mid)) >= window) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return n - lo;
  }

  @Override
  public synchronized boolean tryAcquire(long cost, long now, @Nullable Probe probe) {
    Arith.checkCost(cost);
    now = Arith.clampTime(now);
    int n = log.length;
    int used = inWindow(now);
    if (cost <= n - used) {
      int c = (int) cost;
      for (int i = 0; i < c; i++) {
        // overwrite the oldest entries with now; keep sorted when the clock went backwards
        log[head] = Math.max(now, at(n - 1));
        head = head + 1 == n ? 0 : head + 1;
      }
      if (probe != null) {
        probe.set(true, n - used - cost, 0, used + c == 0 ? now : at(n - 1) + window, 0);
      }
      return true;
    }
    if (probe != null) {
      long retry = cost > n ? Probe.NEVER : at((int) cost - 1) + window - now;
      probe.set(false, n - used, retry, at(n - 1) + window, 0);
    }
    return false;
  }

  @Override
  public synchronized void refund(long cost, long acquiredAt, long now) {
    Arith.checkCost(cost);
    int n = log.length;
    long[] sorted = new long[n];
    for (int i = 0; i < n; i++) {
      sorted[i] = at(i);
    }
    // drop up to `cost` entries stamped with the grant's time (newest first), pad with EMPTY
    long removed = 0;
    int w = n;
    long[] kept = new long[n];
    for (int i = n - 1; i >= 0; i--) {
      if (removed < cost && sorted[i] == acquiredAt) {
        removed++;
      } else {
        kept[--w] = sorted[i];
      }
    }
    Arrays.fill(kept, 0, w, EMPTY);
    System.arraycopy(kept, 0, log, 0, n);
    head = 0;
  }

  @Override
  public synchronized long idleAt(long now) {
    long newest = at(log.length - 1);
    return newest == EMPTY ? Long.MIN_VALUE : newest + window;
  }
}
