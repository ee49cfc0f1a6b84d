package dev.mcpratelimit.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.mcpratelimit.Clock;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.Limiter;
import dev.mcpratelimit.Probe;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimitKey;
import dev.mcpratelimit.spi.LimiterStore;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The in-memory store: one {@link Limiter} per key in a size-capped Caffeine cache.
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

  private final Cache<LimitKey, Limiter> cache;
  private final Policy.@Nullable VarExpiration<LimitKey, Limiter> varExpiration;
  private final ConcurrentHashMap<LimitSpec, Supplier<Limiter>> factories = new ConcurrentHashMap<>();
  private final LongAdder liveEvictions = new LongAdder();
  private final Clock clock;
  private volatile Consumer<String> onEviction = rule -> {};

  public CaffeineStore(long maximumKeys, Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(maximumKeys)
            .executor(Runnable::run) // evictions are reported on the deciding thread, in order
            .ticker(clock::nanos)
            .expireAfter(new StateExpiry())
            .removalListener(this::onRemoval)
            .build();
    this.varExpiration = cache.policy().expireVariably().orElse(null);
  }

  /** Lifetime after an access: the longest the state can stay non-idle after one acquisition. */
  private static final class StateExpiry implements Expiry<LimitKey, Limiter> {
    @Override
    public long expireAfterCreate(LimitKey key, Limiter value, long currentTime) {
      return span(value, currentTime);
    }

    @Override
    public long expireAfterUpdate(LimitKey key, Limiter value, long currentTime, long currentDuration) {
      return span(value, currentTime);
    }

    @Override
    public long expireAfterRead(LimitKey key, Limiter value, long currentTime, long currentDuration) {
      if (value instanceof ConcurrencyPermits) {
        return currentDuration; // set by compute from the permits held
      }
      return Math.max(currentDuration, span(value, currentTime));
    }

    private static long span(Limiter value, long now) {
      LimitSpec spec = value.spec();
      long busy = Math.max(0, Arith.satSub(value.idleAt(now), now));
      if (spec instanceof LimitSpec.TokenBucket tb) {
        return Arith.satAdd(busy, tb.capacity() * tb.nanosPerToken());
      } else if (spec instanceof LimitSpec.SlidingWindow sw) {
        return Arith.satAdd(busy, 2 * sw.window().toNanos());
      } else if (spec instanceof LimitSpec.FixedWindow fw) {
        return Arith.satAdd(busy, fw.unit().nominalLength().toNanos() + TimeUnit.HOURS.toNanos(1));
      }
      ConcurrencyPermits c = (ConcurrencyPermits) value;
      return c.inFlight() > 0 ? FOREVER : CONCURRENCY_GRACE_NANOS;
    }
  }

  private void onRemoval(@Nullable LimitKey key, @Nullable Limiter value, RemovalCause cause) {
    if (key == null || value == null || cause == RemovalCause.EXPLICIT || cause == RemovalCause.REPLACED) {
      return;
    }
    long now = clock.nanos();
    if (value.idleAt(now) > now) {
      liveEvictions.increment();
      try {
        onEviction.accept(key.rule());
      } catch (RuntimeException ignored) {
        // a listener never breaks a call
      }
    }
  }

  private Limiter limiter(LimitKey key, LimitSpec spec) {
    Limiter l = cache.getIfPresent(key);
    if (l == null) {
      Supplier<Limiter> f = factories.computeIfAbsent(spec, Limiters::factory);
      l = cache.get(key, k -> f.get());
    }
    return l;
  }

  @Override
  public @Nullable Ticket acquire(Batch batch) {
    final long now = batch.now();
    final int n = batch.size();
    final InMemoryTicket ticket = new InMemoryTicket(this, n, now);
    boolean all = true;
    for (int i = 0; i < n; i++) {
      LimitKey key = batch.key(i);
      LimitSpec spec = batch.spec(i);
      long cost = batch.cost(i);
      Probe probe = batch.probe(i);
      if (spec instanceof LimitSpec.Concurrency) {
        boolean[] ok = new boolean[1];
        Limiter l = cache.asMap().compute(key, (k, v) -> {
          Limiter lim = v != null ? v : Limiter.of(spec);
          ok[0] = lim.tryAcquire(cost, now, probe);
          return lim;
        });
        if (ok[0]) {
          ticket.put(i, key, l, cost);
        } else {
          all = false;
        }
        continue;
      }
      Limiter l = limiter(key, spec);
      long maxWait = batch.maxWaitNanos(i);
      boolean ok = maxWait > 0 ? l.reserve(cost, now, maxWait, probe) : l.tryAcquire(cost, now, probe);
      if (ok) {
        ticket.put(i, key, l, cost);
        if (probe.waitNanos() > 0 && varExpiration != null) {
          // a booked future slot outlives the usual span: extend the key's lifetime to cover it
          long span = Arith.satAdd(Math.max(0, l.idleAt(now) - now), TimeUnit.MINUTES.toNanos(1));
          varExpiration.setExpiresAfter(key, span, TimeUnit.NANOSECONDS);
        }
      } else {
        all = false;
      }
    }
    if (!all) {
      ticket.refund(); // all or nothing
      return null;
    }
    return ticket;
  }

  /** Gives back cost taken under a key: concurrency permits inside compute, others by CAS. */
  void giveBack(LimitKey key, Limiter l, long cost, long acquiredAt) {
    if (l instanceof ConcurrencyPermits) {
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
      return;
    }
    l.refund(cost, acquiredAt, clock.nanos());
  }

  @Override
  public long keyCount() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  @Override
  public long liveEvictions() {
    return liveEvictions.sum();
  }

  @Override
  public void onEviction(Consumer<String> onEviction) {
    this.onEviction = Objects.requireNonNull(onEviction, "onEviction");
  }

  /** Drops every key. */
  public void clear() {
    cache.invalidateAll();
  }

  @Override
  public String toString() {
    return "LimiterStore.inMemory(keys=" + cache.estimatedSize() + ")";
  }

  /** The costs of one granted batch, given back through the store. */
  static final class InMemoryTicket implements Ticket {
    private final CaffeineStore store;
    private final @Nullable LimitKey[] keys;
    private final @Nullable Limiter[] limiters;
    private final long[] costs;
    private final long acquiredAt;

    InMemoryTicket(CaffeineStore store, int n, long acquiredAt) {
      this.store = store;
      this.keys = new LimitKey[n];
      this.limiters = new Limiter[n];
      this.costs = new long[n];
      this.acquiredAt = acquiredAt;
    }

    void put(int i, LimitKey key, Limiter l, long cost) {
      keys[i] = key;
      limiters[i] = l;
      costs[i] = cost;
    }

    @Override
    public void refund() {
      for (int i = 0; i < limiters.length; i++) {
        Limiter l = limiters[i];
        LimitKey k = keys[i];
        if (l != null && k != null) {
          store.giveBack(k, l, costs[i], acquiredAt);
        }
      }
    }

    @Override
    public void releasePermits() {
      for (int i = 0; i < limiters.length; i++) {
        Limiter l = limiters[i];
        LimitKey k = keys[i];
        if (l instanceof ConcurrencyPermits && k != null) {
          store.giveBack(k, l, costs[i], acquiredAt);
        }
      }
    }
  }
}
