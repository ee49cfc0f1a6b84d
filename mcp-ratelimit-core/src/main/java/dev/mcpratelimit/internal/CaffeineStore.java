package dev.mcpratelimit.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.mcpratelimit.Clock;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.spi.LimitState;
import dev.mcpratelimit.spi.Probe;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The in-memory store: one {@link LimitState} per key, in one table per rule state space (a rule's
 * name, key dimensions and limit). Within a space the key is the identity part itself (the user id
 * string, …) or a private sentinel for the shared anonymous bucket, so no key object is allocated
 * per decision or retained per key, and keys of different spaces cannot collide.
 *
 * <p>Rate spaces (token buckets and windows) are a plain {@link ConcurrentHashMap}: a decision is
 * one lookup and a CAS on the key's state, with no access-order or timer-wheel bookkeeping. Expiry
 * follows the state: a key expires once its state is idle ({@link LimitState#idleAt}: a bucket back at
 * full capacity, a window that no longer counts), as it then holds just what a fresh key would.
 * Expired keys are dropped by an amortised sweep: a few entries on every key creation, a few more
 * on one decision in {@value #SWEEP_ONE_IN} (a pass over a table starts at most once a second), and all of them on
 * {@link #keyCount()}. An expired
 * key looked up before the sweep reaches it is harmless, as its state is a fresh key's; a take
 * that raced with the sweep dropping its key puts the state back (or takes from the key created
 * meanwhile), and the sweep checks a state again once it has removed it and puts it back if a take
 * landed on it in between, so no grant is forgotten (short of a third caller creating the key
 * afresh in the instant between that removal and the put-back). The key cap is enforced
 * on creation: expired keys go first, else the least busy of {@value #EVICTION_SAMPLE} sampled
 * keys, reported as a live eviction when it still held state.
 *
 * <p>Concurrency spaces stay in a Caffeine cache: their permits are taken and given back inside
 * {@code compute}, so a key's lifetime follows the permits actually held; they live while a permit
 * is held and expire one grace period after the last release.
 */
public final class CaffeineStore implements LimiterStore {
  /** How long an idle concurrency key lingers after its last release. */
  static final long CONCURRENCY_GRACE_NANOS = TimeUnit.MINUTES.toNanos(1);

  /** One decision in this many sweeps a few entries of the rate tables it touches. */
  static final int SWEEP_ONE_IN = 64;

  /** Entries a sweep step examines. */
  static final int SWEEP_STEP = 8;

  /** The least time between the starts of two sweep passes over one table. */
  static final long PASS_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** Keys sampled for the least busy one when the cap forces out a key that has not expired. */
  static final int EVICTION_SAMPLE = 8;

  private static final long FOREVER = Long.MAX_VALUE;

  /** The key of the shared anonymous bucket: equal to nothing but itself. */
  private static final Object SHARED = new Object() {
    @Override
    public String toString() {
      return "<shared>";
    }
  };

  private final long maximumKeys;
  private final Clock clock;
  private final ConcurrentHashMap<String, Space> spaces = new ConcurrentHashMap<>();
  private final LongAdder liveEvictions = new LongAdder();
  private volatile Consumer<String> onEviction = rule -> {};

  public CaffeineStore(long maximumKeys, Clock clock) {
    this.maximumKeys = maximumKeys;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The keys of one rule state space. */
  abstract static class Space {
    final String rule;
    final LimitSpec spec;
    final Supplier<LimitState> factory;
    /** Nanoseconds per token of a token bucket, else 0. */
    final long tokenInterval;

    Space(String rule, LimitSpec spec) {
      this.rule = rule;
      this.spec = spec;
      this.factory = LimitStates.factory(spec);
      this.tokenInterval = spec instanceof LimitSpec.TokenBucket tb ? tb.nanosPerToken() : 0;
    }

    abstract long size(long now);

    abstract void clear();
  }

  /**
   * Where a table's sweep is: written only by the thread holding {@code lock}, and kept in an object
   * of its own so that those writes never touch the cache line of the table's fields, which every
   * decision reads.
   */
  static final class Sweep {
    final ReentrantLock lock = new ReentrantLock();
    Iterator<Object> cursor = Collections.emptyIterator(); // under lock
    long passStartedAt = Long.MIN_VALUE; // under lock
    /**
     * Until when the last pass rests (it ended sooner than {@link #PASS_INTERVAL_NANOS} after it
     * started): read without the lock, so a decision on a small table that has nothing to sweep
     * writes nothing shared — no lock word bouncing between the cores of concurrent callers.
     */
    volatile long restsUntil = Long.MIN_VALUE;
  }

  /** A rate space: a hash table, expiry derived from the state and swept in small steps. */
  final class Table extends Space {
    final ConcurrentHashMap<Object, LimitState> map = new ConcurrentHashMap<>();
    private final Sweep sweep = new Sweep();

    Table(String rule, LimitSpec spec) {
      super(rule, spec);
    }

    LimitState limiter(Object key, long now, boolean sweep) {
      LimitState l = map.get(key);
      if (l == null) {
        return create(key, now);
      }
      if (sweep) {
        sweep(now, SWEEP_STEP, null);
      }
      return l;
    }

    private LimitState create(Object key, long now) {
      LimitState fresh = factory.get();
      LimitState l = map.putIfAbsent(key, fresh);
      if (l != null) {
        return l;
      }
      if (map.mappingCount() > maximumKeys) {
        sweep.lock.lock();
        try {
          makeRoom(now, fresh);
        } finally {
          sweep.lock.unlock();
        }
      } else {
        sweep(now, 2, fresh); // each new key pays for looking at two old ones: idle keys do not pile up
      }
      return fresh;
    }

    /** Whether {@code l} is idle, so dropping it forgets nothing. */
    static boolean expired(LimitState l, long now) {
      return l.idleAt(now) <= now;
    }

    /**
     * Drops {@code key}'s state {@code v} if it is idle at {@code now}. A take may land on it
     * between the check and the removal, after the taker's own re-check found it still mapped: so
     * the state is checked again once removed, and put back if it now holds a grant. (A take landing
     * after that second check finds the key gone and puts the state back itself.) Left open: a third
     * caller creating the key afresh between the removal and the put-back wins, and the take on the
     * dropped state is forgotten — a key that was idle may admit one call beyond its limit.
     *
     * @return whether the key was dropped
     */
    private boolean dropIfExpired(Object key, LimitState v, long now) {
      if (!expired(v, now) || !map.remove(key, v)) {
        return false;
      }
      if (!expired(v, now)) {
        map.putIfAbsent(key, v);
        return false;
      }
      return true;
    }

    /**
     * Examines up to {@code n} keys from the cursor, at most one pass of the table, unless another
     * thread is sweeping. Walks keys, not entries: nothing is allocated but a new pass's iterator.
     */
    private void sweep(long now, int n, @Nullable LimitState spare) {
      final Sweep sw = this.sweep;
      if (now < sw.restsUntil || !sw.lock.tryLock()) {
        return;
      }
      try {
        boolean wrapped = false;
        for (int i = 0; i < n; i++) {
          if (!sw.cursor.hasNext()) {
            if (wrapped || Arith.satSub(now, sw.passStartedAt) < PASS_INTERVAL_NANOS) {
              // at most one new pass a second: a small table is not walked on every step
              sw.restsUntil = Arith.satAdd(sw.passStartedAt, PASS_INTERVAL_NANOS);
              return;
            }
            sw.cursor = map.keySet().iterator();
            sw.passStartedAt = now;
            wrapped = true;
            if (!sw.cursor.hasNext()) {
              sw.restsUntil = Arith.satAdd(now, PASS_INTERVAL_NANOS);
              return;
            }
          }
          Object key = sw.cursor.next();
          LimitState v = map.get(key);
          if (v != null && v != spare) {
            dropIfExpired(key, v, now);
          }
        }
      } finally {
        sw.lock.unlock();
      }
    }

    /** Brings the table back to the cap, sparing the key just created. Under the sweep's lock. */
    private void makeRoom(long now, LimitState fresh) {
      Object bestKey = null;
      LimitState best = null;
      long bestIdleAt = 0;
      int sampled = 0;
      long seen = 0;
      final Sweep sw = this.sweep;
      while (map.mappingCount() > maximumKeys) {
        if (!sw.cursor.hasNext()) {
          sw.cursor = map.keySet().iterator();
          if (!sw.cursor.hasNext()) {
            return;
          }
        }
        if (++seen > 4 * maximumKeys + 16) {
          return; // churned by other threads meanwhile
        }
        Object key = sw.cursor.next();
        LimitState v = map.get(key);
        if (v == null || v == fresh) {
          continue;
        }
        if (dropIfExpired(key, v, now)) {
          continue;
        }
        long idleAt = v.idleAt(now);
        if (best == null || idleAt < bestIdleAt) {
          bestKey = key;
          best = v;
          bestIdleAt = idleAt;
        }
        if (++sampled >= EVICTION_SAMPLE || sampled >= map.mappingCount() - 1) {
          if (map.remove(bestKey, best)) {
            evicted(this, best, now);
          }
          best = null;
          sampled = 0;
        }
      }
    }

    @Override
    long size(long now) {
      final Sweep sw = this.sweep;
      sw.lock.lock();
      try {
        for (Object key : map.keySet()) {
          LimitState v = map.get(key);
          if (v != null) {
            dropIfExpired(key, v, now);
          }
        }
        sw.cursor = Collections.emptyIterator();
      } finally {
        sw.lock.unlock();
      }
      return map.mappingCount();
    }

    @Override
    void clear() {
      map.clear();
    }
  }

  /** A concurrency space: a Caffeine cache whose expiry follows the permits held. */
  final class PermitSpace extends Space {
    final Cache<Object, LimitState> cache;

    PermitSpace(String rule, LimitSpec spec) {
      super(rule, spec);
      this.cache =
          Caffeine.newBuilder()
              .maximumSize(maximumKeys)
              .executor(Runnable::run) // evictions are reported on the deciding thread, in order
              .ticker(clock::nanos)
              .expireAfter(new PermitExpiry())
              .removalListener((Object k, LimitState v, RemovalCause c) -> onRemoval(this, v, c))
              .build();
    }

    /** Gives back permits taken under a key, inside compute. */
    void giveBack(Object key, LimitState l, long cost, long acquiredAt) {
      long now = clock.nanos();
      boolean[] done = {false};
      cache.asMap().computeIfPresent(key, (k, v) -> {
        if (v == l) {
          v.refund(cost, acquiredAt, now);
          done[0] = true;
        }
        return v;
      });
      if (!done[0]) {
        l.refund(cost, acquiredAt, now); // the key was evicted meanwhile: release on the original
      }
    }

    @Override
    long size(long now) {
      cache.cleanUp();
      return cache.estimatedSize();
    }

    @Override
    void clear() {
      cache.invalidateAll();
    }
  }

  /** A concurrency key lives while a permit is held, and a grace period after the last release. */
  private static final class PermitExpiry implements Expiry<Object, LimitState> {
    @Override
    public long expireAfterCreate(Object key, LimitState value, long currentTime) {
      return span(value);
    }

    @Override
    public long expireAfterUpdate(Object key, LimitState value, long currentTime, long currentDuration) {
      return span(value);
    }

    @Override
    public long expireAfterRead(Object key, LimitState value, long currentTime, long currentDuration) {
      return currentDuration; // set by compute from the permits held
    }

    private static long span(LimitState value) {
      return ((ConcurrencyPermits) value).inFlight() > 0 ? FOREVER : CONCURRENCY_GRACE_NANOS;
    }
  }

  private void onRemoval(Space space, @Nullable LimitState value, RemovalCause cause) {
    if (value == null || cause == RemovalCause.EXPLICIT || cause == RemovalCause.REPLACED) {
      return;
    }
    evicted(space, value, clock.nanos());
  }

  /** Counts and reports a key dropped by the cap (or by expiry) while it still held state. */
  private void evicted(Space space, LimitState value, long now) {
    if (value.idleAt(now) > now) {
      liveEvictions.increment();
      try {
        onEviction.accept(space.rule);
      } catch (RuntimeException ignored) {
        // a listener never breaks a call
      }
    }
  }

  private Space space(Batch batch, int i) {
    Space s = spaces.get(batch.space(i));
    if (s == null) {
      LimitSpec spec = batch.spec(i);
      String rule = batch.rule(i);
      s = spaces.computeIfAbsent(batch.space(i),
          k -> spec instanceof LimitSpec.Concurrency ? new PermitSpace(rule, spec) : new Table(rule, spec));
    }
    return s;
  }

  /** The entries one acquisition has taken so far, per thread, before its ticket is built. */
  private static final class Taken {
    Object[] entries = new Object[4]; // a LimitState, or a Hold for concurrency permits
    long[] costs = new long[4];
    long[] froms = new long[4];
    int size;
    boolean inUse;

    void add(Object entry, long cost, long from) {
      if (size == entries.length) {
        entries = Arrays.copyOf(entries, size * 2);
        costs = Arrays.copyOf(costs, size * 2);
        froms = Arrays.copyOf(froms, size * 2);
      }
      entries[size] = entry;
      costs[size] = cost;
      froms[size] = from;
      size++;
    }

    void clear() {
      for (int i = 0; i < size; i++) {
        entries[i] = null;
      }
      size = 0;
      inUse = false;
    }
  }

  private static final ThreadLocal<Taken> TAKEN = ThreadLocal.withInitial(Taken::new);

  @Override
  public @Nullable Ticket acquire(Batch batch) {
    Taken t = TAKEN.get();
    // an eviction listener deciding a call of its own re-enters on this thread: give it its own
    final Taken taken = t.inUse ? new Taken() : t;
    taken.inUse = true;
    try {
      boolean all;
      try {
        all = acquireInto(batch, taken);
      } catch (RuntimeException | Error e) {
        InMemoryTicket.giveBack(clock, taken.entries, taken.costs, taken.froms, taken.size, false);
        throw e; // all or nothing, also when something throws midway
      }
      if (!all) {
        InMemoryTicket.giveBack(clock, taken.entries, taken.costs, taken.froms, taken.size, false);
        return null; // all or nothing
      }
      return InMemoryTicket.of(clock, taken);
    } finally {
      taken.clear();
    }
  }

  /** Takes every entry it can into {@code taken}. @return whether all were granted */
  private boolean acquireInto(Batch batch, Taken taken) {
    final long now = batch.now();
    final int n = batch.size();
    final boolean sweep = ThreadLocalRandom.current().nextInt(SWEEP_ONE_IN) == 0;
    boolean all = true;
    for (int i = 0; i < n; i++) {
      Space space = space(batch, i);
      String part = batch.part(i);
      Object key = part == null ? SHARED : part;
      long cost = batch.cost(i);
      Probe probe = batch.probe(i);
      if (space instanceof PermitSpace ps) {
        boolean[] ok = new boolean[1];
        LimitState l = ps.cache.asMap().compute(key, (k, v) -> {
          LimitState lim = v != null ? v : ps.factory.get();
          ok[0] = lim.tryAcquire(cost, now, probe);
          return lim;
        });
        if (ok[0]) {
          taken.add(new Hold(ps, key, l), cost, now);
        } else {
          all = false;
        }
        continue;
      }
      Table table = (Table) space;
      LimitState l = table.limiter(key, now, sweep);
      long maxWait = batch.maxWaitNanos(i);
      boolean ok;
      for (; ; ) {
        ok = maxWait > 0 ? l.reserve(cost, now, maxWait, probe) : l.tryAcquire(cost, now, probe);
        if (!ok || cost == 0) {
          break;
        }
        // a sweep may have dropped the key, idle, between the lookup and the take: then put the
        // state back, or take from the key created meanwhile, so no grant is ever forgotten
        LimitState current = table.map.get(key);
        if (current == null) {
          current = table.map.putIfAbsent(key, l);
        }
        if (current == null || current == l) {
          break;
        }
        l = current;
      }
      if (ok) {
        // a token-bucket grant is counted from its place in the bucket's timeline (the TAT it
        // started from: its new TAT less its cost), so a refund gives back exactly the part of it
        // not yet refilled, however grants and refunds interleave; a booked slot starts later
        // still, so a caller giving it up before then gets all of it back. A booked slot moves the
        // state's idle time ahead, and with it the key's expiry.
        long from = space.tokenInterval > 0 && cost > 0
            ? Math.max(now, probe.resetAtNanos() - cost * space.tokenInterval)
            : now;
        taken.add(l, cost, from);
      } else {
        all = false;
      }
    }
    return all;
  }

  @Override
  public long keyCount() {
    long now = clock.nanos();
    long n = 0;
    for (Space s : spaces.values()) {
      n += s.size(now);
    }
    return n;
  }

  @Override
  public long liveEvictions() {
    return liveEvictions.sum();
  }

  @Override
  public void onEviction(Consumer<String> onEviction) {
    this.onEviction = Objects.requireNonNull(onEviction, "onEviction");
  }

  @Override
  public void discard(java.util.Collection<String> removed) {
    for (String id : removed) {
      Space s = spaces.remove(id);
      if (s != null) {
        s.clear(); // explicit removals: not counted as live evictions
      }
    }
  }

  /** Drops every key. */
  public void clear() {
    for (Space s : spaces.values()) {
      s.clear();
    }
  }

  @Override
  public String toString() {
    return "LimiterStore.inMemory(maximumKeys=" + maximumKeys + " per rule)";
  }

  /** Where a concurrency permit lives, for giving it back inside {@code compute}. */
  private record Hold(PermitSpace space, Object key, LimitState limiter) {}

  /**
   * The costs of one granted batch. The ticket is a {@link Settlement}, so when nothing else needs
   * saying the engine hands it to the caller as the call's grant ({@link Grant#of}): a typical
   * grant allocates this one object. As a {@link Ticket} (inside an engine {@link Grant}) it is
   * settled by the engine, exactly once, as the SPI promises.
   */
  abstract static sealed class InMemoryTicket extends Settlement implements Ticket {
    /** The ticket of what {@code taken} holds: the compact form when it fits. */
    static InMemoryTicket of(Clock clock, Taken taken) {
      return Small.fits(taken) ? new Small(clock, taken) : new Large(clock, taken);
    }

    /**
     * Gives back entries: concurrency permits inside compute (counted from their acquisition,
     * which is their {@code from}), the others, unless {@code permitsOnly}, by CAS.
     */
    static void giveBack(Clock clock, @Nullable Object[] entries, long[] costs, long[] froms, int n,
        boolean permitsOnly) {
      for (int i = 0; i < n; i++) {
        give(clock, entries[i], costs[i], froms[i], permitsOnly);
      }
    }

    static void give(Clock clock, @Nullable Object entry, long cost, long from, boolean permitsOnly) {
      if (entry instanceof Hold h) {
        h.space().giveBack(h.key(), h.limiter(), cost, from);
      } else if (entry != null && !permitsOnly) {
        ((LimitState) entry).refund(cost, from, clock.nanos());
      }
    }

    abstract void giveBack(boolean permitsOnly);

    @Override
    public final void refund() {
      giveBack(false);
    }

    @Override
    public final void releasePermits() {
      giveBack(true);
    }

    @Override
    final void keep() {
      giveBack(true);
    }

    @Override
    final void giveBack() {
      giveBack(false);
    }
  }

  /**
   * At most three entries, each cost below 2^21, packed in one {@code long}: 64 bytes with
   * compressed references, the settled flag of {@link Settlement} included.
   */
  static final class Small extends InMemoryTicket {
    static final int COST_BITS = 21;
    static final long MAX_COST = (1L << COST_BITS) - 1;

    private final Clock clock;
    private final @Nullable Object e0;
    private final @Nullable Object e1;
    private final @Nullable Object e2;
    private final long costs; // three costs of COST_BITS each, the first in the low bits
    private final long f0; // the time each entry's cost is counted from
    private final long f1;
    private final long f2;

    static boolean fits(Taken t) {
      if (t.size > 3) {
        return false;
      }
      for (int i = 0; i < t.size; i++) {
        if (t.costs[i] > MAX_COST) {
          return false;
        }
      }
      return true;
    }

    Small(Clock clock, Taken t) {
      this.clock = clock;
      int n = t.size;
      e0 = n > 0 ? t.entries[0] : null;
      e1 = n > 1 ? t.entries[1] : null;
      e2 = n > 2 ? t.entries[2] : null;
      long c = 0;
      for (int i = n - 1; i >= 0; i--) {
        c = (c << COST_BITS) | t.costs[i];
      }
      costs = c;
      f0 = n > 0 ? t.froms[0] : 0;
      f1 = n > 1 ? t.froms[1] : 0;
      f2 = n > 2 ? t.froms[2] : 0;
    }

    /** @param i 0, 1 or 2 @return that entry's cost */
    long cost(int i) {
      return (costs >>> (i * COST_BITS)) & MAX_COST;
    }

    @Override
    void giveBack(boolean permitsOnly) {
      give(clock, e0, cost(0), f0, permitsOnly);
      give(clock, e1, cost(1), f1, permitsOnly);
      give(clock, e2, cost(2), f2, permitsOnly);
    }
  }

  /** Any number of entries, any costs. */
  static final class Large extends InMemoryTicket {
    private final Clock clock;
    private final Object[] entries;
    private final long[] costs;
    private final long[] froms;

    Large(Clock clock, Taken t) {
      this.clock = clock;
      this.entries = Arrays.copyOf(t.entries, t.size);
      this.costs = Arrays.copyOf(t.costs, t.size);
      this.froms = Arrays.copyOf(t.froms, t.size);
    }

    @Override
    void giveBack(boolean permitsOnly) {
      giveBack(clock, entries, costs, froms, entries.length, permitsOnly);
    }
  }
}
