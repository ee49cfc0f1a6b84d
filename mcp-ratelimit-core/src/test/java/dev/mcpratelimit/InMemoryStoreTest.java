package dev.mcpratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import dev.mcpratelimit.testing.StoreSuite;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The store suite on the in-memory store, plus its expiry and size cap. */
class InMemoryStoreTest extends StoreSuite {
  @Override
  protected LimiterStore newStore(FakeClock clock) {
    return LimiterStore.inMemory(10_000, clock);
  }

  @Test
  void idleKeysExpireAndCostNothing() {
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("bucket").limit(LimitSpec.tokenBucket(10, 10, Duration.ofSeconds(10))).build())
        .rule(Rule.builder("minute").key(KeyResolvers.tenant()).limit(LimitSpec.fixedWindow(100, WindowUnit.MINUTE)).build())
        .build());
    for (int i = 0; i < 100; i++) {
      assertTrue(take(l, call("x", "user" + i, "t" + i)));
    }
    assertEquals(200, store.keyCount());
    clock.advance(Duration.ofSeconds(10));
    assertEquals(100, store.keyCount(), "buckets back at full capacity are dropped");
    clock.advance(Duration.ofHours(2));
    assertEquals(0, store.keyCount(), "windows that ended are dropped");
  }

  @Test
  void tenMillionKeysStayUnderTheCapAndReportEvictions() {
    long cap = 100_000;
    LimiterStore capped = LimiterStore.inMemory(cap, clock);
    long[] evicted = {0};
    capped.onEviction(rule -> evicted[0]++);
    LimitSpec spec = LimitSpec.tokenBucket(10, 1, Duration.ofHours(1));
    Batch batch = new Batch();
    long before = usedHeap();
    long now = clock.nanos();
    for (int i = 0; i < 10_000_000; i++) {
      batch.reset(now).add("per user", "per user|user|tb", Integer.toString(i), spec, 1, 0);
      assertTrue(capped.acquire(batch) != null);
    }
    long keys = capped.keyCount();
    long retained = usedHeap() - before;
    System.out.printf("10M keys through a %d cap: %d held, %d live evictions, ~%d bytes retained (%.0f B/key incl. key string)%n",
        cap, keys, capped.liveEvictions(), retained, retained / (double) keys);
    assertTrue(keys <= cap, "held " + keys);
    assertTrue(capped.liveEvictions() >= 10_000_000 - cap - 1000, "live evictions counted: " + capped.liveEvictions());
    assertEquals(capped.liveEvictions(), evicted[0]);
    assertTrue(retained < 60L * 1024 * 1024, "retained " + retained);
  }

  private static long usedHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
