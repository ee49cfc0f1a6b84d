package dev.mcpratelimit.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** What a durable, shared store must do beyond the store contract; run on each database. */
abstract class JdbcStoreBehaviour {
  /** @return a store on the test's database, emptied when {@code fresh} */
  abstract JdbcLimiterStore store(FakeClock clock, boolean fresh, int reapEvery, int reapBatch);

  JdbcLimiterStore store(FakeClock clock, boolean fresh) {
    return store(clock, fresh, 8, 32);
  }

  private static RateLimiter limiter(LimiterStore store, FakeClock clock, Rule... rules) {
    return RateLimiter.builder(RateLimitPolicy.builder().rules(List.of(rules)).build()).clock(clock).store(store).build();
  }

  @Test
  void twoStoreInstancesTimesEightThreadsOnOneKeyGrantExactly() throws Exception {
    FakeClock clock = FakeClock.create();
    Rule user = Rule.builder("user").limit(LimitSpec.tokenBucket(500, 1, Duration.ofDays(1))).build();
    Rule tenant = Rule.builder("tenant").key(KeyResolvers.tenant()).limit(LimitSpec.calendarWindow(400, WindowUnit.DAY)).build();
    try (JdbcLimiterStore one = store(clock, true); JdbcLimiterStore two = store(clock, false)) {
      RateLimiter[] limiters = {limiter(one, clock, user, tenant), limiter(two, clock, user, tenant)};
      AtomicInteger granted = new AtomicInteger();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        RateLimiter l = limiters[t % 2];
        Thread th = new Thread(() -> {
          try {
            start.await();
            for (int i = 0; i < 40; i++) {
              if (l.acquire(CallContext.tool("x").user("alice").tenant("acme").build()) instanceof Decision.Granted g) {
                g.commit();
                granted.incrementAndGet();
              }
            }
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        });
        th.start();
        threads.add(th);
      }
      start.countDown();
      for (Thread th : threads) {
        th.join(120_000);
        if (th.isAlive()) {
          fail("a thread did not finish");
        }
      }
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      assertEquals(400, granted.get(), "640 attempts on two instances, exactly the tenant's 400 granted");
      assertEquals(100, peek(one, clock, user, "alice"), "the user bucket paid for exactly the 400 grants");
      assertEquals(0, peek(two, clock, tenant, "acme"));
    }
  }

  @Test
  void countersSurviveARestart() {
    FakeClock clock = FakeClock.create();
    Rule daily = Rule.builder("daily spend").key(KeyResolvers.tenant())
        .cost(dev.mcpratelimit.Cost.fromArgument("args.amount")).limit(LimitSpec.calendarWindow(10_000, WindowUnit.DAY)).build();
    CallContext spend = CallContext.tool("charge").tenant("acme").arguments(java.util.Map.of("amount", 8_000)).build();
    try (JdbcLimiterStore before = store(clock, true)) {
      assertTrue(limiter(before, clock, daily).acquire(spend).isGranted());
    }
    clock.advance(Duration.ofHours(3));
    try (JdbcLimiterStore after = store(clock, false)) { // a new store and engine: a restarted server
      RateLimiter l = limiter(after, clock, daily);
      assertEquals(2_000, peek(after, clock, daily, "acme"), "still at $8,000 after the restart");
      assertFalse(l.acquire(spend).isGranted(), "the daily cap holds across the restart");
      clock.advance(Duration.ofHours(21));
      assertTrue(l.acquire(spend).isGranted(), "a new day");
    }
  }

  @Test
  void tableSizeStaysBoundedAfterAHundredThousandDistinctKeys() {
    FakeClock clock = FakeClock.create();
    Rule rule = Rule.builder("per user").limit(LimitSpec.tokenBucket(2, 1, Duration.ofSeconds(1))).build();
    LimitSpec spec = rule.limit();
    assertNotNull(spec);
    try (JdbcLimiterStore store = store(clock, true, 1, 64)) {
      Batch b = new Batch();
      int key = 0;
      long maxRows = 0;
      for (int call = 0; call < 10_000; call++) {
        b.reset(clock.nanos());
        for (int j = 0; j < 10; j++) {
          b.add(rule.name(), rule.stateIdentity(), "user-" + key++, spec, 1, 0);
        }
        LimiterStore.Ticket t = store.acquire(b);
        assertNotNull(t);
        if (call % 100 == 99) {
          clock.advance(Duration.ofSeconds(1)); // each key's bucket is full again 1 s after its grant
        }
        if (call % 2_000 == 1_999) {
          maxRows = Math.max(maxRows, store.keyCount());
        }
      }
      assertEquals(100_000, key);
      assertTrue(maxRows < 10_000, "10^5 keys, about 2,000 live at a time, left " + maxRows + " rows");
    }
  }

  static long peek(LimiterStore store, FakeClock clock, Rule rule, String part) {
    Batch b = new Batch().reset(clock.nanos());
    LimitSpec spec = rule.limit();
    assertNotNull(spec);
    b.add(rule.name(), rule.stateIdentity(), part, spec, 0, 0);
    LimiterStore.Ticket t = store.acquire(b);
    assertNotNull(t);
    t.releasePermits();
    return b.probe(0).remaining();
  }
}
