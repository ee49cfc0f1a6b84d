package dev.mcpratelimit.jdbc.internal;

import dev.mcpratelimit.spi.Probe;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * The limit arithmetic on one database row, as pure functions of the row's columns: {@code a},
 * {@code b}, {@code c} and a {@code log} of longs. The file store runs it in Java inside its
 * transaction; {@code postgresql.sql} runs the same steps, column for column, in PL/pgSQL. The
 * results equal those of the in-memory limiters of the core (GCRA bucket, two-counter sliding
 * window, exact log, calendar window, permits): the same store contract suite runs on both.
 *
 * <p>Columns per kind (a fresh row is {@code a = Long.MIN_VALUE, b = c = 0}, empty log):
 * <ul>
 *   <li>{@link #TOKEN_BUCKET}: a = theoretical arrival time of the next token;
 *   <li>{@link #SLIDING_WINDOW}: a = window index, b = previous window's count, c = current's;
 *   <li>{@link #EXACT_WINDOW}: log = (grant time, cost) pairs, oldest first, within the window;
 *   <li>{@link #CALENDAR_WINDOW}: a = start of the counted window, b = its count;
 *   <li>{@link #CONCURRENCY}: log = (permit id, lease end, cost) triples.
 * </ul>
 *
 * <p>Entry parameters: token bucket p1 = nanos per token, p2 = burst (capacity × p1), p3 =
 * capacity; windows p1 = length (calendar: limit), p2 = limit (calendar: window start), p3 = (calendar:
 * window end); concurrency p1 = max in flight, p2 = lease, p3 = permit id.
 *
 * <p>Not thread-safe: one instance per decision in flight (the file store keeps one).
 */
public final class RowState {
  /** Kind of a GCRA token bucket. */
  public static final int TOKEN_BUCKET = 1;
  /** Kind of a two-counter sliding window. */
  public static final int SLIDING_WINDOW = 2;
  /** Kind of an exact sliding window. */
  public static final int EXACT_WINDOW = 3;
  /** Kind of a calendar window. */
  public static final int CALENDAR_WINDOW = 4;
  /** Kind of a concurrency limit. */
  public static final int CONCURRENCY = 5;

  private static final long[] NO_LOG = {};
  /** Earliest/latest clock reading worked with, as in the core: a time plus a span never overflows. */
  private static final long MIN_TIME = -(1L << 62);
  private static final long MAX_TIME = 1L << 62;

  /** Row columns, read before a step and, when {@link #dirty}, written after it. */
  public long a = Long.MIN_VALUE;
  /** @see #a */
  public long b;
  /** @see #a */
  public long c;
  /** @see #a */
  public long[] log = NO_LOG;
  /** When the row's state equals a fresh row's again (reaped after). */
  public long expiresAt;
  /** Whether the last step changed the row. */
  public boolean dirty;

  /** Resets to a fresh row. @return this */
  public RowState fresh() {
    a = Long.MIN_VALUE;
    b = 0;
    c = 0;
    log = NO_LOG;
    expiresAt = 0;
    dirty = false;
    return this;
  }

  static long clamp(long now) {
    return Math.max(MIN_TIME, Math.min(MAX_TIME, now));
  }

  /**
   * Tries to take {@code cost} of an entry at {@code now}, filling {@code probe}; changes the row
   * (and sets {@link #dirty}) only when granted with a positive cost.
   *
   * @return whether granted
   */
  public boolean acquire(int kind, long cost, long p1, long p2, long p3, long maxWait, long now, Probe probe) {
    dirty = false;
    now = clamp(now);
    return switch (kind) {
      case TOKEN_BUCKET -> bucket(cost, p1, p2, p3, maxWait, now, probe);
      case SLIDING_WINDOW -> sliding(cost, p1, p2, now, probe);
      case EXACT_WINDOW -> exact(cost, p1, p2, now, probe);
      case CALENDAR_WINDOW -> calendar(cost, p1, p2, p3, now, probe);
      case CONCURRENCY -> permits(cost, p1, p2, p3, now, probe);
      default -> throw new IllegalArgumentException("unknown kind " + kind);
    };
  }

  // ------------------------------------------------------------------ token bucket (GCRA)

  private boolean bucket(long cost, long interval, long burst, long capacity, long maxWait, long now, Probe probe) {
    long base = Math.max(a, now);
    if (cost > capacity) {
      probe.set(false, room(base, now, burst, interval), Probe.NEVER, base, 0);
      return false;
    }
    long newTat = base + cost * interval; // cost * interval <= burst <= 2^61
    long wait = newTat - burst - now;
    if (wait > maxWait) {
      probe.set(false, room(base, now, burst, interval), wait, base, 0);
      return false;
    }
    if (cost == 0) {
      probe.set(true, room(base, now, burst, interval), 0, base, 0);
      return true;
    }
    a = newTat;
    expiresAt = newTat;
    dirty = true;
    probe.set(true, room(newTat, now, burst, interval), 0, newTat, Math.max(0, wait));
    return true;
  }

  private static long room(long tat, long now, long burst, long interval) {
    long r = now + burst - tat;
    return r <= 0 ? 0 : r / interval;
  }

  // ------------------------------------------------------------------ sliding window (estimate)

  private boolean sliding(long cost, long window, long limit, long now, Probe probe) {
    long index = Math.floorDiv(now, window);
    long si = a;
    long prev = si == index ? b : si == index - 1 ? c : si > index ? b : 0;
    long cur = si >= index ? c : 0;
    long left = si > index ? window : window - (now - index * window);
    if (fits(prev, cur, left, cost, limit, window)) {
      if (cost == 0) {
        probe.set(true, slidingRoom(prev, cur, left, limit, window), 0, slidingReset(si, prev, cur, index, now, window), 0);
        return true;
      }
      long k = Math.max(index, si);
      long next = satAdd(cur, cost);
      a = k;
      b = prev;
      c = next;
      expiresAt = (k + 2) * window;
      dirty = true;
      probe.set(true, slidingRoom(prev, next, left, limit, window), 0, (k + 2) * window, 0);
      return true;
    }
    long retry = cost > limit ? Probe.NEVER : slidingRetry(si, prev, cur, index, cost, now, limit, window);
    probe.set(false, slidingRoom(prev, cur, left, limit, window), retry, slidingReset(si, prev, cur, index, now, window), 0);
    return false;
  }

  /** {@code cur + cost + prev * left / window <= limit}, exactly. */
  private static boolean fits(long prev, long cur, long left, long cost, long limit, long window) {
    long room = limit - cur - cost;
    if (room < 0) {
      return false;
    }
    long h1 = Math.multiplyHigh(prev, left);
    long h2 = Math.multiplyHigh(room, window);
    return h1 != h2 ? h1 < h2 : Long.compareUnsigned(prev * left, room * window) <= 0;
  }

  /** {@code max(0, limit - cur - ceil(prev * left / window))}. */
  private static long slidingRoom(long prev, long cur, long left, long limit, long window) {
    long max = limit - cur;
    if (prev == 0 || max <= 0) {
      return Math.max(0, max);
    }
    long weighted;
    if (Math.multiplyHigh(prev, left) == 0 && prev * left >= 0) {
      weighted = -Math.floorDiv(-(prev * left), window);
    } else {
      BigInteger[] qr = BigInteger.valueOf(prev).multiply(BigInteger.valueOf(left)).divideAndRemainder(BigInteger.valueOf(window));
      weighted = qr[0].longValue() + (qr[1].signum() > 0 ? 1 : 0);
    }
    return Math.max(0, max - weighted);
  }

  /** Time until {@code cost} (at most the limit) fits: in window k or k + 1, in closed form. */
  private static long slidingRetry(long si, long prev, long cur, long index, long cost, long now, long limit, long window) {
    long k = Math.max(index, si);
    long start;
    long weighted;
    long current;
    if (cur <= limit - cost) {
      start = k * window;
      weighted = prev;
      current = cur;
    } else {
      start = (k + 1) * window;
      weighted = cur;
      current = 0;
    }
    long room = limit - cost - current; // >= 0
    long e = 0;
    if (weighted > 0) {
      long covered; // floor(room * window / weighted), capped at window
      if (Math.multiplyHigh(room, window) == 0 && room * window >= 0) {
        covered = room * window / weighted;
      } else {
        covered = BigInteger.valueOf(room).multiply(BigInteger.valueOf(window)).divide(BigInteger.valueOf(weighted))
            .min(BigInteger.valueOf(window)).longValue();
      }
      e = Math.max(0, window - Math.min(window, covered));
    }
    return satAdd(satSub(start, now), e);
  }

  private static long slidingReset(long si, long prev, long cur, long index, long now, long window) {
    if (cur > 0) {
      return (Math.max(index, si) + 2) * window;
    }
    return prev > 0 ? (index + 1) * window : now;
  }

  // ------------------------------------------------------------------ exact sliding window

  private boolean exact(long cost, long window, long limit, long now, Probe probe) {
    int first = 0; // first pair inside the window
    while (first < log.length && satSub(now, log[first]) >= window) {
      first += 2;
    }
    long used = 0;
    for (int i = first + 1; i < log.length; i += 2) {
      used += log[i];
    }
    long newest = log.length == 0 ? Long.MIN_VALUE : log[log.length - 2];
    if (cost <= limit - used) {
      if (cost == 0) {
        probe.set(true, limit - used, 0, used == 0 ? now : newest + window, 0);
        return true;
      }
      long stamp = Math.max(now, newest); // keep the log sorted when the clock went backwards
      int kept = log.length - first;
      boolean merge = kept > 0 && log[log.length - 2] == stamp;
      long[] next = Arrays.copyOfRange(log, first, log.length + (merge ? 0 : 2));
      if (merge) {
        next[next.length - 1] += cost;
      } else {
        next[next.length - 2] = stamp;
        next[next.length - 1] = cost;
      }
      log = next;
      expiresAt = stamp + window;
      dirty = true;
      probe.set(true, limit - used - cost, 0, stamp + window, 0);
      return true;
    }
    long retry = Probe.NEVER;
    if (cost <= limit) {
      long drop = used + cost - limit; // units that must leave the window first
      for (int i = first; i < log.length; i += 2) {
        drop -= log[i + 1];
        if (drop <= 0) {
          retry = log[i] + window - now;
          break;
        }
      }
    }
    probe.set(false, limit - used, retry, used == 0 ? now : newest + window, 0);
    return false;
  }

  // ------------------------------------------------------------------ calendar window

  private boolean calendar(long cost, long limit, long start, long end, long now, Probe probe) {
    long windowStart = start;
    long count = 0;
    if (a != Long.MIN_VALUE && a >= start) {
      windowStart = a; // the current window, or a later one if the clock went backwards
      count = b;
    }
    long room = limit - count;
    if (cost <= room) {
      if (cost > 0) {
        a = windowStart;
        b = count + cost;
        expiresAt = Math.max(end, expiresAt);
        dirty = true;
      }
      probe.set(true, room - cost, 0, end, 0);
      return true;
    }
    probe.set(false, room, cost > limit ? Probe.NEVER : end - now, end, 0);
    return false;
  }

  // ------------------------------------------------------------------ concurrency

  private boolean permits(long cost, long max, long lease, long id, long now, Probe probe) {
    long held = 0;
    int live = 0;
    for (int i = 0; i < log.length; i += 3) {
      if (log[i + 1] > now) {
        held += log[i + 2];
        live++;
      }
    }
    if (cost > max - held) {
      probe.set(false, max - held, Probe.NEVER, Probe.NEVER, 0);
      return false;
    }
    probe.set(true, max - held - cost, 0, Probe.NEVER, 0);
    if (cost == 0) {
      return true;
    }
    long[] next = new long[3 * (live + 1)];
    int w = 0;
    long last = satAdd(now, lease);
    for (int i = 0; i < log.length; i += 3) {
      if (log[i + 1] > now) {
        next[w++] = log[i];
        next[w++] = log[i + 1];
        next[w++] = log[i + 2];
        last = Math.max(last, log[i + 1]);
      }
    }
    next[w++] = id;
    next[w++] = satAdd(now, lease);
    next[w] = cost;
    log = next;
    expiresAt = last;
    dirty = true;
    return true;
  }

  // ------------------------------------------------------------------ giving back

  /**
   * Where a grant sits for a later {@link #giveBack}: for a token bucket, its place in the
   * bucket's timeline, its new TAT ({@code reset}) less its cost, never before {@code now} (a
   * refund then gives back exactly the part not yet refilled, however grants and refunds
   * interleave, as the core's in-memory bucket does); for the others, when it takes effect
   * ({@code now}, or the start of a booked slot). Both backends use this on the outcome of a
   * step: the file store on {@link #acquire}'s probe, PostgreSQL on {@code mcp_ratelimit_step}'s
   * (which returns the same {@code reset} and {@code wait}).
   *
   * @param kind the entry's kind
   * @param cost the entry's cost
   * @param p1 the entry's first parameter (a token bucket: nanos per token)
   * @param now the time the step was decided at
   * @param reset the step's reset time (a granted token bucket: its new TAT)
   * @param wait the step's wait (a booked slot: how long until it begins)
   * @return the time to pass to {@link #giveBack} as {@code acquiredAt}
   */
  public static long grantedAt(int kind, long cost, long p1, long now, long reset, long wait) {
    if (kind == TOKEN_BUCKET && cost > 0) {
      return Math.max(now, reset - cost * p1); // granted: cost * p1 <= burst, reset <= 2^62 + burst
    }
    return satAdd(now, wait);
  }

  /**
   * Gives back what a grant took: all of it ({@code permitsOnly} false) or only a concurrency
   * permit. {@code acquiredAt} is when the grant took effect (a booked slot: when it begins).
   * Sets {@link #dirty} when the row changed.
   */
  public void giveBack(int kind, long cost, long p1, long p2, long p3, long acquiredAt, long now, boolean permitsOnly) {
    dirty = false;
    if (kind == CONCURRENCY) {
      releasePermit(p3, now);
      return;
    }
    if (permitsOnly || cost == 0) {
      return;
    }
    switch (kind) {
      case TOKEN_BUCKET -> {
        long taken = Math.min(cost, p3) * p1;
        long elapsed = Math.max(0, satSub(now, acquiredAt));
        now = clamp(now);
        if (elapsed < taken && a > now) {
          a = Math.max(a - (taken - elapsed), now);
          expiresAt = a;
          dirty = true;
        }
      }
      case SLIDING_WINDOW -> {
        long taken = Math.floorDiv(clamp(acquiredAt), p1);
        if (a == taken) {
          c = Math.max(0, c - cost);
          dirty = true;
        } else if (a == taken + 1) {
          b = Math.max(0, b - cost);
          dirty = true;
        }
      }
      case EXACT_WINDOW -> refundLog(cost, p1, clamp(acquiredAt), now);
      case CALENDAR_WINDOW -> {
        if (a == p2) { // p2: the start of the window the grant counted in
          b = Math.max(0, b - cost);
          dirty = true;
        }
      }
      default -> throw new IllegalArgumentException("unknown kind " + kind);
    }
  }

  /** Drops the oldest {@code cost} units stamped at or after {@code from}, while still in the window. */
  private void refundLog(long cost, long window, long from, long now) {
    if (satSub(now, from) >= window) {
      return; // the grant has left the window: nothing to give
    }
    long[] next = new long[log.length];
    int w = 0;
    long left = cost;
    for (int i = 0; i < log.length; i += 2) {
      long n = log[i + 1];
      if (left > 0 && log[i] >= from) {
        long take = Math.min(left, n);
        left -= take;
        n -= take;
      }
      if (n > 0) {
        next[w++] = log[i];
        next[w++] = n;
      }
    }
    if (left < cost) {
      log = Arrays.copyOf(next, w);
      dirty = true;
    }
  }

  private void releasePermit(long id, long now) {
    for (int i = 0; i < log.length; i += 3) {
      if (log[i] == id) {
        long[] next = new long[log.length - 3];
        System.arraycopy(log, 0, next, 0, i);
        System.arraycopy(log, i + 3, next, i, log.length - i - 3);
        log = next;
        long last = now;
        for (int j = 1; j < next.length; j += 3) {
          last = Math.max(last, next[j]);
        }
        expiresAt = last;
        dirty = true;
        return;
      }
    }
  }

  static long satAdd(long x, long y) {
    long r = x + y;
    if (((x ^ r) & (y ^ r)) < 0) {
      return x < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    return r;
  }

  static long satSub(long x, long y) {
    long r = x - y;
    if (((x ^ y) & (x ^ r)) < 0) {
      return x < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    return r;
  }
}
