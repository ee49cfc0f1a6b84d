package dev.mcpratelimit.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.mcpratelimit.Clock;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.Limiter;
import dev.mcpratelimit.Probe;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The in-memory store: one {@link Limiter} per key, in one size-capped Caffeine cache per rule
 * state space (a rule's name, key dimensions and limit). Within a space the cache key is the
 * identity part itself (the user id string, …) or a private sentinel for the shared anonymous
 * bucket, so no key object is allocated per decision or retained per key, and keys of different
 * spaces cannot collide.
 *
 * <p>Expiry follows the state: on every access a key's lifetime is set to the longest its state
 * can stay non-idle after one more acquisition (a bucket's refill time, a window's length), so an
 * idle key is dropped and costs nothing. Concurrency keys are updated inside {@code compute} so
 * their lifetime is computed from the permits actually held: they live while a permit is held
 * and expire one grace period after the last release.
 */
public final class CaffeineStore implements LimiterStore {
  /** How long an idle concurrency key lingers after its last release. */
  static final long CONCURRENCY_GRACE_NANOS = TimeUnit.MINUTES.toNanos(1);

  private static final long FOREVER = Long.MAX_VALUE;

  /** The cache key of the shared anonymous bucket: equal to nothing but itself. */
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
  final class Space {
    final String rule;
    final LimitSpec spec;
    final Supplier<Limiter> factory;
    /** Nanoseconds per token of a token bucket, else 0. */
    final long tokenInterval;
    final Cache<Object, Limiter> cache;
    final Policy.@Nullable VarExpiration<Object, Limiter> varExpiration;

    Space(String rule, LimitSpec spec) {
      this.rule = rule;
      this.spec = spec;
      this.factory = Limiters.factory(spec);
      this.tokenInterval = spec instanceof LimitSpec.TokenBucket tb ? tb.nanosPerToken() : 0;
      this.cache =
          Caffeine.newBuilder()
              .maximumSize(maximumKeys)
              .executor(Runnable::run) // evictions are reported on the deciding thread, in order
              .ticker(clock::nanos)
              .expireAfter(new StateExpiry(tailNanos(spec)))
              .removalListener((Object k, Limiter v, RemovalCause c) -> onRemoval(this, v, c))
              .build();
      this.varExpiration = cache.policy().expireVariably().orElse(null);
    }

    Limiter limiter(Object key) {
      Limiter l = cache.getIfPresent(key);
      if (l == null) {
        l = cache.get(key, k -> factory.get());
      }
      return l;
    }

    /** Gives back cost taken under a key: concurrency permits inside compute, others by CAS. */
    void giveBack(Object key, Limiter l, long cost, long acquiredAt) {
      long now = clock.nanos();
      if (l instanceof ConcurrencyPermits) {
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
        return;
      }
      l.refund(cost, acquiredAt, now);
    }
  }

  /**
   * The longest one acquisition can keep a key of {@code spec} busy, counted from the
   * acquisition: a bucket's time to refill from empty, the longest window an acquisition can land
   * in. Added to the time the key is already busy, it is the key's lifetime after an access.
   */
  static long tailNanos(LimitSpec spec) {
    if (spec instanceof LimitSpec.TokenBucket tb) {
      return tb.capacity() * tb.nanosPerToken();
    } else if (spec instanceof LimitSpec.SlidingWindow sw) {
      // the estimate counts the previous window too; an exact log only its last entry's window
      return sw.exact() ? sw.window().toNanos() : 2 * sw.window().toNanos();
    } else if (spec instanceof LimitSpec.FixedWindow fw) {
      long nominal = fw.unit().nominalLength().toNanos();
      if (fw.unit() == dev.mcpratelimit.WindowUnit.MINUTE || fw.zone().getRules().isFixedOffset()) {
        return nominal; // every window is exactly this long
      }
      // a local day (or hour) around a daylight-saving change is longer, by up to 2 hours (Troll)
      return nominal + TimeUnit.HOURS.toNanos(3);
    }
    return CONCURRENCY_GRACE_NANOS;
  }

  /** Lifetime after an access: the longest the state can stay non-idle after one acquisition. */
  private static final class StateExpiry implements Expiry<Object, Limiter> {
    private final long tail;

    StateExpiry(long tail) {
      this.tail = tail;
    }

    @Override
    public long expireAfterCreate(Object key, Limiter value, long currentTime) {
      return span(value, currentTime);
    }

    @Override
    public long expireAfterUpdate(Object key, Limiter value, long currentTime, long currentDuration) {
      return span(value, currentTime);
    }

    @Override
    public long expireAfterRead(Object key, Limiter value, long currentTime, long currentDuration) {
      if (value instanceof ConcurrencyPermits) {
        return currentDuration; // set by compute from the permits held
      }
      return Math.max(currentDuration, span(value, currentTime));
    }

    private long span(Limiter value, long now) {
      if (value instanceof ConcurrencyPermits c) {
        return c.inFlight() > 0 ? FOREVER : CONCURRENCY_GRACE_NANOS;
      }
      long busy = Math.max(0, Arith.satSub(value.idleAt(now), now));
      return Arith.satAdd(busy, tail);
    }
  }

  private void onRemoval(Space space, @Nullable Limiter value, RemovalCause cause) {
    if (value == null || cause == RemovalCause.EXPLICIT || cause == RemovalCause.REPLACED) {
      return;
    }
    long now = clock.nanos();
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
      s = spaces.computeIfAbsent(batch.space(i), k -> new Space(rule, spec));
    }
    return s;
  }

  @Override
  public @Nullable Ticket acquire(Batch batch) {
    final InMemoryTicket ticket = new InMemoryTicket(clock, batch.now());
    boolean all;
    try {
      all = acquireInto(batch, ticket);
    } catch (RuntimeException | Error e) {
      ticket.refund(); // all or nothing, also when something throws midway
      throw e;
    }
    if (!all) {
      ticket.refund(); // all or nothing
      return null;
    }
    return ticket;
  }

  /** Takes every entry it can into {@code ticket}. @return whether all were granted */
  private boolean acquireInto(Batch batch, InMemoryTicket ticket) {
    final long now = batch.now();
    final int n = batch.size();
    boolean all = true;
    for (int i = 0; i < n; i++) {
      Space space = space(batch, i);
      String part = batch.part(i);
      Object key = part == null ? SHARED : part;
      long cost = batch.cost(i);
      Probe probe = batch.probe(i);
      if (space.spec instanceof LimitSpec.Concurrency) {
        boolean[] ok = new boolean[1];
        Limiter l = space.cache.asMap().compute(key, (k, v) -> {
          Limiter lim = v != null ? v : space.factory.get();
          ok[0] = lim.tryAcquire(cost, now, probe);
          return lim;
        });
        if (ok[0]) {
          ticket.put(space, key, l, cost, now);
        } else {
          all = false;
        }
        continue;
      }
      Limiter l = space.limiter(key);
      long maxWait = batch.maxWaitNanos(i);
      boolean ok = maxWait > 0 ? l.reserve(cost, now, maxWait, probe) : l.tryAcquire(cost, now, probe);
      if (ok) {
        // a token-bucket grant is counted from its place in the bucket's timeline (the TAT it
        // started from: its new TAT less its cost), so a refund gives back exactly the part of it
        // not yet refilled, however grants and refunds interleave; a booked slot starts later
        // still, so a caller giving it up before then gets all of it back
        long from = space.tokenInterval > 0 && cost > 0
            ? Math.max(now, probe.resetAtNanos() - cost * space.tokenInterval)
            : now;
        ticket.put(space, key, l, cost, from);
        if (probe.waitNanos() > 0 && space.varExpiration != null) {
          // a booked future slot outlives the usual span: extend the key's lifetime to cover it
          long span = Arith.satAdd(Math.max(0, l.idleAt(now) - now), TimeUnit.MINUTES.toNanos(1));
          space.varExpiration.setExpiresAfter(key, span, TimeUnit.NANOSECONDS);
        }
      } else {
        all = false;
      }
    }
    return all;
  }

  @Override
  public long keyCount() {
    long n = 0;
    for (Space s : spaces.values()) {
      s.cache.cleanUp();
      n += s.cache.estimatedSize();
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
        s.cache.invalidateAll(); // explicit removals: not counted as live evictions
      }
    }
  }

  /** Drops every key. */
  public void clear() {
    for (Space s : spaces.values()) {
      s.cache.invalidateAll();
    }
  }

  @Override
  public String toString() {
    return "LimiterStore.inMemory(maximumKeys=" + maximumKeys + " per rule)";
  }

  /** Where a concurrency permit lives, for giving it back inside {@code compute}. */
  private record Hold(Space space, Object key) {}

  /**
   * The costs of one granted batch. The first three entries are held in fields (a decision has
   * few rules) and the ticket is itself the engine's {@link Decision.Granted} when nothing else
   * needs saying, so a typical grant allocates this one object; further entries chain.
   */
  static final class InMemoryTicket implements Ticket, Decision.Granted {
    private static final VarHandle SETTLED;

    static {
      try {
        SETTLED = MethodHandles.lookup().findVarHandle(InMemoryTicket.class, "settled", boolean.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private final Clock clock;
    private final long acquiredAt;
    private int size;
    @SuppressWarnings("unused") // accessed through SETTLED
    private volatile boolean settled;
    private @Nullable Limiter l0;
    private @Nullable Limiter l1;
    private @Nullable Limiter l2;
    private @Nullable Hold h0; // non-null for concurrency permits only
    private @Nullable Hold h1;
    private @Nullable Hold h2;
    private long c0;
    private long c1;
    private long c2;
    private long f0; // the time each entry's cost is counted from
    private long f1;
    private long f2;
    private @Nullable InMemoryTicket next;

    InMemoryTicket(Clock clock, long acquiredAt) {
      this.clock = clock;
      this.acquiredAt = acquiredAt;
    }

    void put(Space space, Object key, Limiter l, long cost, long from) {
      Hold h = l instanceof ConcurrencyPermits ? new Hold(space, key) : null;
      switch (size) {
        case 0 -> {
          l0 = l;
          h0 = h;
          c0 = cost;
          f0 = from;
        }
        case 1 -> {
          l1 = l;
          h1 = h;
          c1 = cost;
          f1 = from;
        }
        case 2 -> {
          l2 = l;
          h2 = h;
          c2 = cost;
          f2 = from;
        }
        default -> {
          if (next == null) {
            next = new InMemoryTicket(clock, acquiredAt);
          }
          next.put(space, key, l, cost, from);
          return;
        }
      }
      size++;
    }

    private void giveBack(boolean permitsOnly) {
      give(l0, h0, c0, f0, permitsOnly);
      give(l1, h1, c1, f1, permitsOnly);
      give(l2, h2, c2, f2, permitsOnly);
      if (next != null) {
        next.giveBack(permitsOnly);
      }
    }

    private void give(@Nullable Limiter l, @Nullable Hold h, long cost, long from, boolean permitsOnly) {
      if (h != null && l != null) {
        h.space().giveBack(h.key(), l, cost, acquiredAt);
      } else if (l != null && !permitsOnly) {
        l.refund(cost, from, clock.nanos());
      }
    }

    @Override
    public void refund() {
      giveBack(false);
    }

    @Override
    public void releasePermits() {
      giveBack(true);
    }

    // ---- as the engine's Granted decision (used when there is no delay and no shadow rule)

    @Override
    public long delayNanos() {
      return 0;
    }

    @Override
    public List<Decision.Denied> shadowDenials() {
      return List.of();
    }

    @Override
    public void commit() {
      if (SETTLED.compareAndSet(this, false, true)) {
        releasePermits();
      }
    }

    @Override
    public void release() {
      if (SETTLED.compareAndSet(this, false, true)) {
        refund();
      }
    }

    @Override
    public boolean isSettled() {
      return settled;
    }

    @Override
    public String toString() {
      return "Granted{settled=" + settled + '}';
    }
  }
}
