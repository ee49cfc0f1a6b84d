package dev.mcpratelimit.jdbc.internal;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.internal.CalendarWindowCounter;
import dev.mcpratelimit.spi.Batch;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One decision's entries as the database sees them, sorted by key (the lock order): row key,
 * space id, kind, cost and parameters, and the index of each in the engine's batch. Immutable
 * once built; a granted decision's ticket keeps it to give back what it took.
 */
public final class Entries {
  /** Row keys (SHA-256 of {@code LimitKey.encoded()}), in lock order. */
  public final byte[][] keys;
  /** Space ids (the first 8 bytes of SHA-256 of the state identity). */
  public final long[] spaces;
  /** {@link RowState} kinds. */
  public final int[] kinds;
  /** Costs. */
  public final long[] costs;
  /** Parameters (see {@link RowState}). */
  public final long[] p1;
  /** Parameters. */
  public final long[] p2;
  /** Parameters. */
  public final long[] p3;
  /** Longest waits. */
  public final long[] waits;
  /** Index of each entry in the batch. */
  public final int[] order;
  /** The decision's clock reading. */
  public final long now;
  /** Where each grant sits for a refund ({@link RowState#grantedAt}), set on a grant. */
  public final long[] at;

  private Entries(int n, long now) {
    keys = new byte[n][];
    spaces = new long[n];
    kinds = new int[n];
    costs = new long[n];
    p1 = new long[n];
    p2 = new long[n];
    p3 = new long[n];
    waits = new long[n];
    order = new int[n];
    at = new long[n];
    this.now = now;
  }

  /** @return the number of entries */
  public int size() {
    return keys.length;
  }

  /** Derives and caches per-spec and per-space values. Thread-safe. */
  public static final class Factory {
    private final long leaseNanos;
    private final ConcurrentHashMap<String, Long> spaceIds = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<LimitSpec.CalendarWindow, CalendarWindowCounter.Params> calendars = new ConcurrentHashMap<>();
    private static final ThreadLocal<MessageDigest> SHA = ThreadLocal.withInitial(Factory::sha256);

    /** @param leaseNanos how long a concurrency permit lives without release */
    public Factory(long leaseNanos) {
      this.leaseNanos = leaseNanos;
    }

    private static MessageDigest sha256() {
      try {
        return MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is missing from this JVM", e);
      }
    }

    /** @return the row key of a key's encoded form */
    public static byte[] rowKey(String encoded) {
      return SHA.get().digest(encoded.getBytes(StandardCharsets.UTF_8));
    }

    /** @return the space id of a state identity */
    public long spaceId(String space) {
      Long id = spaceIds.get(space);
      if (id == null) {
        byte[] h = rowKey(space);
        long v = 0;
        for (int i = 0; i < 8; i++) {
          v = (v << 8) | (h[i] & 0xff);
        }
        id = v;
        spaceIds.put(space, id);
      }
      return id;
    }

    /**
     * @return the batch's entries in lock order
     * @throws IllegalArgumentException for a negative cost or a key that occurs twice
     */
    public Entries of(Batch batch) {
      int n = batch.size();
      long now = batch.now();
      Entries e = new Entries(n, now);
      for (int i = 0; i < n; i++) {
        long cost = batch.cost(i);
        if (cost < 0) {
          throw new IllegalArgumentException("cost must be 0 (peek) or positive, but was " + cost
              + " for rule '" + batch.rule(i) + "'");
        }
        if (batch.maxWaitNanos(i) < 0) {
          throw new IllegalArgumentException("maxWaitNanos must not be negative, but was " + batch.maxWaitNanos(i));
        }
        e.keys[i] = rowKey(batch.key(i).encoded());
        e.spaces[i] = spaceId(batch.space(i));
        e.costs[i] = cost;
        e.order[i] = i;
        e.at[i] = now;
        LimitSpec spec = batch.spec(i);
        if (spec instanceof LimitSpec.TokenBucket tb) {
          e.kinds[i] = RowState.TOKEN_BUCKET;
          e.p1[i] = tb.nanosPerToken();
          e.p2[i] = tb.capacity() * tb.nanosPerToken(); // at most 2^61, validated by the spec
          e.p3[i] = tb.capacity();
          e.waits[i] = batch.maxWaitNanos(i);
        } else if (spec instanceof LimitSpec.SlidingWindow sw) {
          e.kinds[i] = sw.exact() ? RowState.EXACT_WINDOW : RowState.SLIDING_WINDOW;
          e.p1[i] = sw.window().toNanos();
          e.p2[i] = sw.limit();
        } else if (spec instanceof LimitSpec.CalendarWindow cw) {
          CalendarWindowCounter.Window w = calendars.computeIfAbsent(cw, CalendarWindowCounter.Params::of)
              .windowAt(RowState.clamp(now));
          e.kinds[i] = RowState.CALENDAR_WINDOW;
          e.p1[i] = cw.limit();
          e.p2[i] = w.start();
          e.p3[i] = w.end();
        } else {
          LimitSpec.Concurrency c = (LimitSpec.Concurrency) spec;
          e.kinds[i] = RowState.CONCURRENCY;
          e.p1[i] = c.maxInFlight();
          e.p2[i] = leaseNanos;
          e.p3[i] = ThreadLocalRandom.current().nextLong(); // the permit's id
        }
      }
      sort(e, batch);
      return e;
    }

    /** Insertion sort by unsigned key bytes (a decision has few entries). */
    private static void sort(Entries e, Batch batch) {
      int n = e.size();
      for (int i = 1; i < n; i++) {
        for (int j = i; j > 0; j--) {
          int cmp = Arrays.compareUnsigned(e.keys[j - 1], e.keys[j]);
          if (cmp == 0) {
            throw new IllegalArgumentException("a batch holds the key of rule '" + batch.rule(e.order[j])
                + "' twice");
          }
          if (cmp < 0) {
            break;
          }
          e.swap(j - 1, j);
        }
      }
    }
  }

  private void swap(int i, int j) {
    byte[] k = keys[i];
    keys[i] = keys[j];
    keys[j] = k;
    swap(spaces, i, j);
    swap(costs, i, j);
    swap(p1, i, j);
    swap(p2, i, j);
    swap(p3, i, j);
    swap(waits, i, j);
    swap(at, i, j);
    int t = kinds[i];
    kinds[i] = kinds[j];
    kinds[j] = t;
    t = order[i];
    order[i] = order[j];
    order[j] = t;
  }

  private static void swap(long[] a, int i, int j) {
    long t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}
