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
    if (Arith.satSub(now, acquiredAt) >= window) {
      return; // the grant's entries have left the window (and may be overwritten): nothing to give
    }
    int n = log.length;
    long from = Arith.clampTime(acquiredAt);
    // The grant stamped its entries max(acquiredAt, newest entry then): later than acquiredAt
    // when a caller that read the clock later reached this log first. Drop the oldest `cost`
    // entries stamped at or after acquiredAt: exactly the grant's when nothing interleaved,
    // otherwise entries no later than the grant's (so the log never forgets a later grant).
    long removed = 0;
    int w = 0;
    long[] kept = new long[n];
    for (int i = 0; i < n; i++) {
      long t = at(i);
      if (removed < cost && t != EMPTY && t >= from) {
        removed++;
      } else {
        kept[w++] = t;
      }
    }
    if (removed == 0) {
      return;
    }
    Arrays.fill(log, 0, n - w, EMPTY); // oldest first, padded with EMPTY in front
    System.arraycopy(kept, 0, log, n - w, w);
    head = 0;
  }

  @Override
  public synchronized long idleAt(long now) {
    long newest = at(log.length - 1);
    return newest == EMPTY ? Long.MIN_VALUE : newest + window;
  }
}
