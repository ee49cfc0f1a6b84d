package dev.mcpratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.internal.seam.AsyncEngine;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import dev.mcpratelimit.testing.StoreContract;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The store contract on the in-memory store, plus its expiry, its size cap and its footprint. */
class CaffeineStoreTest extends StoreContract {
  private static final long SECOND = 1_000_000_000L;

  @Override
  protected LimiterStore newStore(FakeClock clock) {
    return LimiterStore.inMemory(10_000, clock);
  }

  @Test
  void aPolicyUpdateDropsTheKeysOfRemovedAndChangedRulesOnly() {
    Rule perUser = Rule.builder("per user").limit(LimitSpec.calendarWindow(100, WindowUnit.DAY)).build();
    Rule perTenant = Rule.builder("per tenant").key(KeyResolvers.tenant()).limit(LimitSpec.calendarWindow(100, WindowUnit.DAY)).build();
    Rule perTool = Rule.builder("per tool").key(KeyResolvers.tool()).limit(LimitSpec.calendarWindow(100, WindowUnit.DAY)).build();
    RateLimiter l = limiter(perUser, perTenant, perTool);
    for (int i = 0; i < 10; i++) {
      assertTrue(take(l, call("x", "user" + i, "tenant" + i)));
    }
    assertEquals(21, store.keyCount(), "10 users, 10 tenants, 1 tool");
    Rule biggerTenant = Rule.builder("per tenant").key(KeyResolvers.tenant()).limit(LimitSpec.calendarWindow(200, WindowUnit.DAY)).build();
    l.updatePolicy(RateLimitPolicy.builder().rule(perUser).rule(biggerTenant).build());
    assertEquals(10, store.keyCount(), "the changed tenant rule and the removed tool rule left nothing behind");
    assertEquals(0, store.liveEvictions(), "dropping state of removed rules is not a live eviction");
    assertEquals(99, remaining(perUser, call("x", "user3", "tenant3")), "the unchanged rule kept its counters");
  }

  @Test
  void idleKeysExpireAndCostNothing() {
    RateLimiter l = limiter(
        Rule.builder("bucket").limit(LimitSpec.tokenBucket(10, 10, Duration.ofSeconds(10))).build(),
        Rule.builder("sliding").limit(LimitSpec.slidingWindow(100, Duration.ofMinutes(1))).build(),
        Rule.builder("exact").limit(LimitSpec.exactSlidingWindow(5, Duration.ofMinutes(1))).build(),
        Rule.builder("minute").limit(LimitSpec.calendarWindow(100, WindowUnit.MINUTE)).build(),
        Rule.builder("day").key(KeyResolvers.tenant()).limit(LimitSpec.calendarWindow(100, WindowUnit.DAY)).build(),
        Rule.builder("parallel").limit(LimitSpec.concurrency(2)).build());
    for (int i = 0; i < 100; i++) {
      assertTrue(take(l, call("x", "user" + i, "tenant" + i)));
    }
    assertEquals(600, store.keyCount());
    advance(clock, Duration.ofSeconds(11));
    assertEquals(500, store.keyCount(), "buckets back at full capacity are dropped");
    advance(clock, Duration.ofMinutes(3));
    assertEquals(100, store.keyCount(), "sliding windows, minute windows and released permits are dropped");
    advance(clock, Duration.ofHours(26));
    assertEquals(0, store.keyCount(), "day windows that ended are dropped");
    assertEquals(0, store.liveEvictions(), "expiring idle keys forgets nothing");
    assertTrue(events.evicted.isEmpty());
  }

  @Test
  void aKeyIsKeptWhileItHoldsState() {
    Rule bucket = Rule.builder("bucket").limit(LimitSpec.tokenBucket(10, 10, Duration.ofMinutes(1))).build();
    RateLimiter l = limiter(bucket);
    CallContext alice = call("x", "alice");
    assertEquals(10, takeAll(l, alice, 11));
    advance(clock, Duration.ofSeconds(59));
    assertEquals(1, store.keyCount());
    assertEquals(9, remaining(bucket, alice), "the drained bucket refilled 9 of 10, not forgotten");
    advance(clock, Duration.ofMinutes(3));
    assertEquals(0, store.keyCount());
  }

  @Test
  void aDayWindowOnA25HourDayIsKeptUntilItsLocalMidnight() {
    ZoneId newYork = ZoneId.of("America/New_York");
    advanceTo(Instant.parse("2026-11-01T04:00:00Z")); // local midnight of the day DST ends: 25 hours long
    Rule daily = Rule.builder("daily").limit(LimitSpec.calendarWindow(1, WindowUnit.DAY, newYork)).build();
    RateLimiter l = limiter(daily);
    CallContext alice = call("x", "alice");
    assertTrue(take(l, alice));
    advance(clock, Duration.ofHours(24).plusMinutes(59));
    assertFalse(take(l, alice), "still the same local day: the key was not dropped early");
    advance(clock, Duration.ofMinutes(1));
    assertTrue(take(l, alice), "the next local day");
  }

  @Test
  void bookedFutureSlotsAreNotForgotten() {
    Rule rule = Rule.builder("b").maxWait(Duration.ofHours(1)).limit(LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(1))).build();
    RateLimiter l = limiter(rule);
    CallContext c = call("x", "u");
    for (int i = 0; i < 100; i++) {
      assertEquals(i * SECOND, granted(AsyncEngine.of(l).reserve(c, AsyncEngine.FIRST_ATTEMPT)).delayNanos());
    }
    advance(clock, Duration.ofSeconds(98)); // far past the bucket's one-second refill time
    assertEquals(1, store.keyCount());
    assertEquals(2 * SECOND, granted(AsyncEngine.of(l).reserve(c, AsyncEngine.FIRST_ATTEMPT)).delayNanos(),
        "the slots booked up to 100 s ahead are still held");
    advance(clock, Duration.ofMinutes(5));
    assertEquals(0, store.keyCount());
  }

  @Test
  void heldConcurrencyPermitsNeverExpire() {
    Rule one = Rule.builder("one").limit(LimitSpec.concurrency(1)).build();
    RateLimiter l = limiter(one);
    CallContext alice = call("q", "alice");
    Decision.Granted g = granted(l.acquire(alice));
    advance(clock, Duration.ofDays(10));
    assertEquals(1, store.keyCount());
    assertFalse(l.acquire(alice).isGranted(), "a permit held for 10 days is still held");
    g.release();
    assertEquals(1, remaining(one, alice));
    advance(clock, Duration.ofMinutes(2));
    assertEquals(0, store.keyCount(), "dropped a grace period after the last release");
    assertEquals(0, store.liveEvictions());
  }

  @Test
  void theCapIsPerRuleAndEvictionListenersNeverBreakACall() {
    LimiterStore capped = LimiterStore.inMemory(10, clock);
    RateLimitListener angry = new RateLimitListener() {
      @Override
      public void onEvicted(String rule) {
        throw new IllegalStateException("boom");
      }
    };
    RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder()
            .rule(Rule.builder("a").limit(LimitSpec.tokenBucket(5, 1, Duration.ofHours(1))).build())
            .rule(Rule.builder("b").key(KeyResolvers.tenant()).limit(LimitSpec.tokenBucket(5, 1, Duration.ofHours(1))).build())
            .build())
        .clock(clock).store(capped).listener(angry).listener(events).build();
    for (int i = 0; i < 100; i++) {
      assertTrue(take(l, call("x", "user" + i, "tenant" + i)), "call " + i);
    }
    assertTrue(capped.keyCount() <= 20, "at most 10 keys per rule: " + capped.keyCount());
    assertEquals(200 - capped.keyCount(), capped.liveEvictions(), "every dropped key held state");
    assertEquals(capped.liveEvictions(), events.evictions());
    assertEquals(List.of("a", "b"), events.evicted.keySet().stream().sorted().toList());
  }

  @Test
  void inMemoryStoreValidatesItsCap() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LimiterStore.inMemory(0, clock));
    assertTrue(e.getMessage().contains("maximumKeys must be at least 1, but was 0"), e.getMessage());
  }

  /**
   * 10 million distinct keys through a store capped at 100,000 keys: the store stays under the
   * cap, counts and reports every live eviction, and its retained heap stays bounded.
   */
  @Test
  void tenMillionKeysStayUnderTheCapAndReportEvictions() {
    final long cap = 100_000;
    final int viaEngine = 200_000;
    final int direct = 10_000_000;
    long before = usedHeap();
    LimiterStore capped = LimiterStore.inMemory(cap, clock);
    Rule rule = Rule.builder("per user").limit(LimitSpec.tokenBucket(10, 1, Duration.ofHours(1))).build();
    RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().rule(rule).build())
        .clock(clock).store(capped).listener(events).build();

    for (int i = 0; i < viaEngine; i++) {
      assertTrue(take(l, call("x", "engine-" + i)));
    }
    assertTrue(events.evictions() > 0, "the engine's listener hears of live evictions");

    // the rest straight into the store, one reused batch, as the engine would pass it
    Batch batch = new Batch();
    LimitSpec spec = rule.limit();
    assertNotNull(spec);
    long now = clock.nanos();
    for (int i = 0; i < direct; i++) {
      batch.reset(now).add(rule.name(), rule.stateIdentity(), Integer.toString(i), spec, 1, 0);
      LimiterStore.Ticket t = capped.acquire(batch);
      if (t == null) {
        throw new AssertionError("a fresh key was denied: " + i);
      }
    }

    long keys = capped.keyCount();
    long after = usedHeap();
    long retained = after - before;
    System.out.printf("%,d keys through a %,d-key cap: %,d held, %,d live evictions, %,d bytes retained = %.0f B/key"
        + " (limiter + cache entry + key string)%n", viaEngine + direct, cap, keys, capped.liveEvictions(), retained,
        retained / (double) keys);
    assertTrue(keys <= cap + cap / 100, "held " + keys + " keys");
    assertTrue(keys >= cap / 2, "the cap is used, not collapsed: " + keys);
    assertEquals(viaEngine + direct - keys, capped.liveEvictions(), "every key held state: each drop is a live eviction");
    assertEquals(capped.liveEvictions(), events.evictions(), "and each was reported");
    assertTrue(retained < 60L * 1024 * 1024, "retained " + retained + " bytes for " + keys + " keys");
    Reference.reachabilityFence(capped);
    Reference.reachabilityFence(l);
  }

  private static long usedHeap() {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
