package dev.mcpratelimit.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code shardBy(tenant)} on a real 3-master cluster: spread, one slot per tenant decision, exact counts. */
class RedisClusterTest {
  static LimitSpec frozen(long capacity) {
    return LimitSpec.tokenBucket(capacity, 1, Duration.ofDays(1));
  }

  static final Rule TENANT = Rule.builder("tenant").key(KeyResolvers.tenant()).limit(frozen(60)).build();
  static final Rule TENANT_USER = Rule.builder("tenant user")
      .key(KeyResolvers.composite(KeyResolvers.tenant(), KeyResolvers.user())).limit(frozen(1_000)).build();
  static final Rule GLOBAL = Rule.builder("global").key(KeyResolvers.named("global")).limit(frozen(200)).build();

  TestCluster cluster;

  @BeforeEach
  void flush() {
    cluster = TestCluster.get();
    cluster.flushAll();
  }

  List<Long> evalshaPerNode() {
    return cluster.onEachNode(c -> {
      Matcher m = Pattern.compile("cmdstat_evalsha:calls=(\\d+)").matcher(c.info("commandstats"));
      return m.find() ? Long.parseLong(m.group(1)) : 0L;
    });
  }

  @Test
  void keysOfTenThousandTenantsSpreadOverTheThreeShards() {
    try (RedisLimiterStore s = RedisLimiterStore.builder(cluster.client).shardBy("tenant").build()) {
      RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().rule(TENANT).build()).store(s).build();
      for (int t = 0; t < 10_000; t++) {
        assertTrue(l.acquire(CallContext.tool("x").user("u").tenant("tenant-" + t).build()).isGranted());
      }
      List<Long> keys = cluster.onEachNode(c -> c.dbsize());
      assertEquals(10_000, keys.stream().mapToLong(Long::longValue).sum(), keys.toString());
      for (long k : keys) {
        assertTrue(Math.abs(k - 10_000 / 3.0) <= 10_000 / 3.0 * 0.10, "within ±10 % of a third: " + keys);
      }
    }
    try (RedisLimiterStore s = RedisLimiterStore.builder(cluster.client).build()) { // not sharded: one slot
      cluster.flushAll();
      RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().rule(TENANT).build()).store(s).build();
      for (int t = 0; t < 300; t++) {
        assertTrue(l.acquire(CallContext.tool("x").user("u").tenant("tenant-" + t).build()).isGranted());
      }
      List<Long> keys = cluster.onEachNode(c -> c.dbsize());
      assertTrue(keys.contains(300L), "without shardBy every key is on one shard: " + keys);
    }
  }

  @Test
  void aTenantOnlyDecisionIsOneScriptOnOneShardAndAGlobalRuleAddsOne() {
    try (StatefulRedisClusterConnection<String, String> app = cluster.client.connect();
        RedisLimiterStore s = RedisLimiterStore.builder(app).shardBy("tenant").build()) {
      RateLimiter tenantOnly = RateLimiter.builder(RateLimitPolicy.builder().rule(TENANT).rule(TENANT_USER).build()).store(s).build();
      RateLimiter withGlobal = RateLimiter.builder(RateLimitPolicy.builder().rule(TENANT).rule(TENANT_USER).rule(GLOBAL).build())
          .store(s).build();
      for (int t = 0; t < 20; t++) {
        CallContext c = CallContext.tool("x").user("alice").tenant("tenant-" + t).build();
        List<Long> before = evalshaPerNode();
        assertTrue(tenantOnly.acquire(c).isGranted());
        List<Long> after = evalshaPerNode();
        long nodes = 0;
        long calls = 0;
        for (int i = 0; i < before.size(); i++) {
          long d = after.get(i) - before.get(i);
          calls += d;
          nodes += d > 0 ? 1 : 0;
        }
        assertEquals(1, calls, "one script for both rules of tenant-" + t);
        assertEquals(1, nodes);
        before = evalshaPerNode();
        assertTrue(withGlobal.acquire(c).isGranted());
        after = evalshaPerNode();
        calls = 0;
        for (int i = 0; i < before.size(); i++) {
          calls += after.get(i) - before.get(i);
        }
        assertEquals(2, calls, "the tenant's slot, then the global rule's");
      }
      assertTrue(app.isOpen(), "the store leaves the application's connection alone");
    }
  }

  /** The remaining cost of a rule's key, by a cost-0 acquisition (changes nothing). */
  static long peek(LimiterStore store, Rule rule, @Nullable String part) {
    Batch b = new Batch().reset(System.currentTimeMillis() * 1_000_000L);
    b.add(rule.name(), rule.stateIdentity(), part, Objects.requireNonNull(rule.limit()), 0, 0);
    LimiterStore.Ticket t = store.acquire(b);
    assertNotNull(t);
    return b.probe(0).remaining();
  }

  @Test
  void sixteenCallersAcrossTenantAndGlobalSlotsGetExactlyTheGlobalBudget() throws Exception {
    try (RedisLimiterStore s = RedisLimiterStore.builder(cluster.client).shardBy("tenant").build()) {
      // four tenants of 60 (240) under a global 200: the global rule binds, in another slot
      RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().rule(TENANT).rule(GLOBAL).build()).store(s).build();
      AtomicLongArray kept = new AtomicLongArray(4);
      LongAdder released = new LongAdder();
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      for (int t = 0; t < 16; t++) {
        int index = t;
        Thread th = new Thread(() -> {
          try {
            start.await();
            Random r = new Random(index);
            for (int i = 0; i < 60; i++) {
              int tenant = r.nextInt(4);
              if (l.acquire(CallContext.tool("x").user("u" + index).tenant("t" + tenant).build()) instanceof Decision.Granted g) {
                if (r.nextInt(10) == 0) {
                  g.release();
                  released.increment();
                } else {
                  g.commit();
                  kept.incrementAndGet(tenant);
                }
              }
            }
          } catch (Throwable e) {
            failures.add(e);
          }
        });
        th.start();
        threads.add(th);
      }
      start.countDown();
      for (Thread th : threads) {
        th.join();
      }
      assertTrue(failures.isEmpty(), failures.toString());
      long total = 0;
      for (int t = 0; t < 4; t++) {
        assertTrue(kept.get(t) <= 60, "tenant t" + t + " over-granted: " + kept.get(t));
        assertEquals(60 - kept.get(t), peek(s, TENANT, "t" + t), "tenant t" + t + " holds exactly its kept grants");
        total += kept.get(t);
      }
      assertTrue(released.sum() > 0);
      assertEquals(200, total, "960 attempts take exactly the global 200");
      assertEquals(0, peek(s, GLOBAL, KeyResolvers.named("global").resolve(CallContext.tool("x").build())),
          "and the global bucket is empty");
    }
  }
}
