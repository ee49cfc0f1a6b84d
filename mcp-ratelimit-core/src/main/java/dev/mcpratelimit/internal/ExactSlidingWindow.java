package dev.mcpratelimit.internal;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.spi.LimitState;
import dev.mcpratelimit.spi.Probe;
import org.jspecify.annotations.Nullable;

/**
 * Exact sliding window: the grant times of the cost still inside the window, oldest first, in a
 * ring that grows with use (doubling, up to {@code limit} entries of 8 bytes) instead of being
 * allocated whole for every key: a key that made one call holds a few entries. A cost {@code c}
 * fits when at most {@code limit - c} entries are inside the window. Multi-word state, so it is
 * guarded by this object's monitor; meant for small limits.
 *
 * <p>Clock jumps: an entry stamped later than now means the clock went backwards; it keeps
 * counting (so the jump grants nothing extra), unless the newest entry is more than one window
 * ahead, in which case every entry ahead of now is clamped to now: state left by a clock that
 * jumped far ahead and back blocks for at most one window, and the retry hint stays true.
 */
final class ExactSlidingWindow implements LimitState {
  private static final int INITIAL = 8;

  private final LimitSpec.SlidingWindow spec;
  private final long window;
  private final int limit;
  private long[] log; // ring of grant times, oldest at head
  private int head;
  private int size;

  ExactSlidingWindow(LimitSpec.SlidingWindow spec) {
    this.spec = spec;
    this.window = spec.window().toNanos();
    this.limit = Math.toIntExact(spec.limit());
    this.log = new long[Math.min(limit, INITIAL)];
  }

  @Override
  public LimitSpec spec() {
    return spec;
  }

  /** The i-th oldest entry, 0 <= i < size. */
  private long at(int i) {
    int idx = head + i;
    return log[idx >= log.length ? idx - log.length : idx];
  }

  private void set(int i, long t) {
    int idx = head + i;
    log[idx >= log.length ? idx - log.length : idx] = t;
  }

  /** Drops the entries that have left the window at {@code now} (the oldest first). */
  private void expire(long now) {
    while (size > 0 && Arith.satSub(now, log[head]) >= window) {
      head = head + 1 == log.length ? 0 : head + 1;
      size--;
    }
    if (size == 0) {
      head = 0;
    }
  }

  /** Clamps entries stamped ahead of now when the newest is more than one window ahead. */
  private void clampFuture(long now) {
    if (size == 0 || Arith.satSub(at(size - 1), now) <= window) {
      return;
    }
    for (int i = size - 1; i >= 0 && at(i) > now; i--) {
      set(i, now); // still sorted: every entry from i on becomes now
    }
  }

  private void ensureRoom(int extra) {
    int need = size + extra;
    if (need <= log.length) {
      return;
    }
    int cap = (int) Math.min(limit, Math.max(need, 2L * log.length));
    long[] next = new long[cap];
    for (int i = 0; i < size; i++) {
      next[i] = at(i);
    }
    log = next;
    head = 0;
  }

  @Override
  public synchronized boolean tryAcquire(long cost, long now, @Nullable Probe probe) {
    Arith.checkCost(cost);
    now = Arith.clampTime(now);
    clampFuture(now);
    expire(now);
    int used = size;
    if (cost <= limit - used) {
      int c = (int) cost;
      if (c > 0) {
        ensureRoom(c);
        // keep sorted when the clock went backwards: never stamp earlier than the newest entry
        long t = used == 0 ? now : Math.max(now, at(used - 1));
        for (int i = 0; i < c; i++) {
          int idx = head + size;
          log[idx >= log.length ? idx - log.length : idx] = t;
          size++;
        }
      }
      if (probe != null) {
        probe.set(true, limit - used - cost, 0, size == 0 ? now : at(size - 1) + window, 0);
      }
      return true;
    }
    if (probe != null) {
      long retry = cost > limit ? Probe.NEVER : at((int) (used + cost - limit - 1)) + window - now;
      probe.set(false, limit - used, retry, size == 0 ? now : at(size - 1) + window, 0);
    }
    return false;
  }

  @Override
  public synchronized void refund(long cost, long acquiredAt, long now) {
    Arith.checkCost(cost);
    if (Arith.satSub(now, acquiredAt) >= window || size == 0) {
      return; // the grant's entries have left the window: nothing to give
    }
    long from = Arith.clampTime(acquiredAt);
    // The grant stamped its entries max(acquiredAt, newest entry then): later than acquiredAt
    // when a caller that read the clock later reached this log first. Drop the oldest `cost`
    // entries stamped at or after acquiredAt: exactly the grant's when nothing interleaved,
    // otherwise entries no later than the grant's (so the log never forgets a later grant).
    long removed = 0;
    int w = 0;
    for (int i = 0; i < size; i++) {
      long t = at(i);
      if (removed < cost && t >= from) {
        removed++;
      } else {
        set(w++, t); // compacting in place: w <= i
      }
    }
    size = w;
    if (size == 0) {
      head = 0;
    }
  }

  @Override
  public synchronized long idleAt(long now) {
    return size == 0 ? Long.MIN_VALUE : at(size - 1) + window;
  }

  /** @return the entries the log has room for now (for tests) */
  synchronized int capacity() {
    return log.length;
  }
}
