package dev.mcpratelimit.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitListener;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.spi.LimitKey;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

/** Redis specifics: shared state across instances, one command per decision, TTLs, outages. */
class RedisLimiterStoreTest {
  static RateLimitPolicy stacked() {
    return RateLimitPolicy.builder()
        .rule(Rule.builder("user").limit(LimitSpec.tokenBucket(40, 1, Duration.ofHours(1))).build())
        .rule(Rule.builder("tool").key(KeyResolvers.tool()).limit(LimitSpec.slidingWindow(150, Duration.ofHours(1))).build())
        .rule(Rule.builder("tenant").key(KeyResolvers.tenant()).limit(LimitSpec.calendarWindow(100, WindowUnit.DAY)).build())
        .build();
  }

  @BeforeEach
  void flush() throws Exception {
    TestRedis.admin(c -> c.flushdb());
  }

  @Test
  void twoServersSharingOneRedisNeverOverGrant() throws Exception {
    try (RedisLimiterStore a = RedisLimiterStore.builder(TestRedis.url()).build();
        RedisLimiterStore b = RedisLimiterStore.builder(TestRedis.url()).build()) {
      RateLimiter la = RateLimiter.builder(stacked()).store(a).build();
      RateLimiter lb = RateLimiter.builder(stacked()).store(b).build();
      LongAdder granted = new LongAdder();
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        RateLimiter l = t % 2 == 0 ? la : lb;
        String user = "u" + (t % 4);
        Thread th = new Thread(() -> {
          try {
            start.await();
          } catch (InterruptedException e) {
            return;
          }
          for (int i = 0; i < 40; i++) {
            if (l.acquire(CallContext.tool("search").user(user).tenant("acme").build()) instanceof Decision.Granted g) {
              g.commit();
              granted.increment();
            }
          }
        });
        th.start();
        threads.add(th);
      }
      start.countDown();
      for (Thread th : threads) {
        th.join();
      }
      assertEquals(100, granted.sum(), "exactly the tenant's daily 100, across both instances");
    }
  }

  static long evalshaCalls(int port) {
    RedisClient c = RedisClient.create("redis://127.0.0.1:" + port);
    try (StatefulRedisConnection<String, String> conn = c.connect()) {
      Matcher m = Pattern.compile("cmdstat_evalsha:calls=(\\d+)").matcher(conn.sync().info("commandstats"));
      return m.find() ? Long.parseLong(m.group(1)) : 0;
    } finally {
      c.shutdown();
    }
  }

  static long evalshaCalls() throws Exception {
    String info = TestRedis.admin(c -> c.info("commandstats"));
    Matcher m = Pattern.compile("cmdstat_evalsha:calls=(\\d+)").matcher(info);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  static long connections() throws Exception {
    Matcher m = Pattern.compile("total_connections_received:(\\d+)").matcher(TestRedis.admin(c -> c.info("stats")));
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  @Test
  void exactlyOneCommandPerDecisionAndOnePerRefund() throws Exception {
    try (RedisLimiterStore s = RedisLimiterStore.builder(TestRedis.url()).build()) {
      RateLimiter l = RateLimiter.builder(stacked()).store(s).build();
      TestRedis.admin(c -> c.configResetstat());
      long evalBefore = evalshaCalls();
      long connectionsBefore = connections();
      for (int i = 0; i < 50; i++) {
        Decision d = l.acquire(CallContext.tool("search").user("u" + i).tenant("t" + (i % 3)).build());
        ((Decision.Granted) d).release();
      }
      assertEquals(100, evalshaCalls() - evalBefore, "50 decisions + 50 refunds");
      // commandstats also counts the commands the script runs inside Redis, so the round trips
      // are the evalsha calls; the client issued nothing else (no reconnects, no SCRIPT LOAD)
      assertEquals(connectionsBefore + 2, connections(), "only the two admin connections of this check");
      assertFalse(TestRedis.admin(c -> c.info("commandstats")).contains("cmdstat_script:"), "no script reload");
    }
  }

  @Test
  void everyKeyCarriesATtl() throws Exception {
    try (RedisLimiterStore s = RedisLimiterStore.builder(TestRedis.url()).build()) {
      RateLimitPolicy p = RateLimitPolicy.builder()
          .rule(Rule.builder("tb").limit(LimitSpec.tokenBucket(5, 1, Duration.ofMinutes(1))).build())
          .rule(Rule.builder("sw").limit(LimitSpec.slidingWindow(5, Duration.ofMinutes(1))).build())
          .rule(Rule.builder("cw").limit(LimitSpec.calendarWindow(5, WindowUnit.HOUR, ZoneId.of("America/New_York"))).build())
          .rule(Rule.builder("cc").limit(LimitSpec.concurrency(5)).build())
          .build();
      RateLimiter l = RateLimiter.builder(p).store(s).build();
      Decision.Granted held = (Decision.Granted) l.acquire(CallContext.tool("x").user("alice").build());
      List<String> keys = TestRedis.admin(c -> c.keys("*"));
      assertEquals(4, keys.size(), keys.toString());
      for (String k : keys) {
        long ttl = TestRedis.admin(c -> c.pttl(k));
        assertTrue(ttl > 0, k + " has no TTL: " + ttl);
        assertTrue(k.startsWith("mcp-rl:{mcp-rl}:"), k);
        assertFalse(k.contains("alice"), "identity values never appear in keys");
      }
      held.commit();
    }
  }

  @Test
  void scriptIsReloadedAfterScriptFlush() throws Exception {
    try (RedisLimiterStore s = RedisLimiterStore.builder(TestRedis.url()).build()) {
      RateLimiter l = RateLimiter.builder(stacked()).store(s).build();
      assertTrue(l.acquire(CallContext.tool("x").user("a").tenant("t").build()).isGranted());
      TestRedis.admin(c -> c.scriptFlush());
      assertTrue(l.acquire(CallContext.tool("x").user("a").tenant("t").build()).isGranted(), "NOSCRIPT → reload → retry");
    }
  }

  @Test
  void countersSurviveAnMcpServerRestart() throws Exception {
    RateLimitPolicy p = RateLimitPolicy.builder()
        .rule(Rule.builder("daily").limit(LimitSpec.calendarWindow(3, WindowUnit.DAY)).build()).build();
    CallContext c = CallContext.tool("x").user("alice").build();
    try (RedisLimiterStore s = RedisLimiterStore.builder(TestRedis.url()).build()) {
      RateLimiter l = RateLimiter.builder(p).store(s).build();
      for (int i = 0; i < 2; i++) {
        ((Decision.Granted) l.acquire(c)).commit();
      }
    }
    try (RedisLimiterStore s = RedisLimiterStore.builder(TestRedis.url()).build()) { // "restarted"
      RateLimiter l = RateLimiter.builder(p).store(s).build();
      assertTrue(l.acquire(c).isGranted());
      assertFalse(l.acquire(c).isGranted(), "the count survived the restart");
    }
  }

  @Test
  void tokenBucketRetryAfterAndRefund() throws Exception {
    try (RedisLimiterStore s = RedisLimiterStore.builder(TestRedis.url()).build()) {
      RateLimitPolicy p = RateLimitPolicy.builder()
          .rule(Rule.builder("b").limit(LimitSpec.tokenBucket(2, 1, Duration.ofMinutes(1))).build()).build();
      RateLimiter l = RateLimiter.builder(p).store(s).build();
      CallContext c = CallContext.tool("x").user("alice").build();
      Decision.Granted g1 = (Decision.Granted) l.acquire(c);
      ((Decision.Granted) l.acquire(c)).commit();
      Decision.Denied d = assertInstanceOf(Decision.Denied.class, l.acquire(c));
      assertTrue(d.retryAfterNanos() > Duration.ofSeconds(50).toNanos() && d.retryAfterNanos() <= Duration.ofMinutes(1).toNanos(),
          "retry after " + d.retryAfterNanos());
      g1.release();
      assertTrue(l.acquire(c).isGranted(), "the refund restored a token");
      Decision.Denied never = assertInstanceOf(Decision.Denied.class,
          RateLimiter.builder(RateLimitPolicy.builder().rule(Rule.builder("b").cost(3)
              .limit(LimitSpec.tokenBucket(2, 1, Duration.ofMinutes(1))).build()).build()).store(s).build().acquire(c));
      assertEquals(-1, never.retryAfterNanos(), "cost above capacity can never fit");
    }
  }

  @Test
  void crashedInstancesPermitsComeBackAfterTheirLease() throws Exception {
    RateLimitPolicy p = RateLimitPolicy.builder().rule(Rule.builder("one").limit(LimitSpec.concurrency(1)).build()).build();
    CallContext c = CallContext.tool("x").user("alice").build();
    try (RedisLimiterStore crashed = RedisLimiterStore.builder(TestRedis.url()).permitLease(Duration.ofMillis(200)).build();
        RedisLimiterStore other = RedisLimiterStore.builder(TestRedis.url()).build()) {
      assertTrue(RateLimiter.builder(p).store(crashed).build().acquire(c).isGranted()); // never released
      RateLimiter l = RateLimiter.builder(p).store(other).build();
      assertFalse(l.acquire(c).isGranted(), "the permit is held");
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      boolean back = false;
      while (!back && System.nanoTime() < deadline) {
        Decision d = l.acquire(c);
        back = d.isGranted();
        if (!back) {
          Thread.onSpinWait();
        }
      }
      assertTrue(back, "the lease ended and the permit came back");
    }
  }

  @Test
  void redisOutageFailsOpenOrClosedAndRecovers() throws Exception {
    int port = TestRedis.freePort();
    RedisServer server = TestRedis.start(port);
    try (RedisLimiterStore s = RedisLimiterStore.builder("redis://127.0.0.1:" + port).timeout(Duration.ofMillis(300)).build()) {
      for (RateLimitPolicy.FailureMode mode : RateLimitPolicy.FailureMode.values()) {
        List<String> errors = new CopyOnWriteArrayList<>();
        RateLimitListener l = new RateLimitListener() {
          @Override
          public void onStoreError(Throwable error) {
            errors.add(error.getClass().getSimpleName());
          }
        };
        RateLimitPolicy p = RateLimitPolicy.builder().failureMode(mode)
            .rule(Rule.builder("b").limit(LimitSpec.tokenBucket(5, 1, Duration.ofHours(1))).build()).build();
        RateLimiter limiter = RateLimiter.builder(p).store(s).listener(l).build();
        CallContext c = CallContext.tool("x").user("alice").build();
        assertTrue(limiter.acquire(c).isGranted());
        server.stop();
        Decision during = limiter.acquire(c);
        if (mode == RateLimitPolicy.FailureMode.FAIL_OPEN) {
          assertTrue(during.isGranted(), "fail open");
        } else {
          assertEquals(DenialReason.STORE_UNAVAILABLE, ((Decision.Denied) during).reason(), "fail closed");
        }
        assertFalse(errors.isEmpty(), "the error reached the listener");
        server = TestRedis.start(port); // Redis restarts (empty: no persistence in the test)
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int errorsAtRestart = errors.size();
        Decision after = limiter.acquire(c);
        while (errors.size() > errorsAtRestart && System.nanoTime() < deadline) { // reconnecting
          errorsAtRestart = errors.size();
          after = limiter.acquire(c);
        }
        assertTrue(after.isGranted());
        // recovered without restarting the MCP server: decisions come from Redis again
        int errorsBefore = errors.size();
        Decision ok = limiter.acquire(c);
        assertTrue(ok.isGranted());
        assertEquals(errorsBefore, errors.size(), "no more store errors after recovery");
      }
    } finally {
      server.stop();
    }
  }

  /** The process id of the redis-server on {@code port} (the test's own), from INFO server. */
  static long pid(int port) {
    RedisClient c = RedisClient.create("redis://127.0.0.1:" + port);
    try (StatefulRedisConnection<String, String> conn = c.connect()) {
      Matcher m = Pattern.compile("process_id:(\\d+)").matcher(conn.sync().info("server"));
      assertTrue(m.find());
      return Long.parseLong(m.group(1));
    } finally {
      c.shutdown();
    }
  }

  static void signal(long pid, String signal) throws Exception {
    assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor());
  }

  @Test
  void failClosedNeverChargesTheCallsItRefusedWhileRedisWasPaused() throws Exception {
    int port = TestRedis.freePort();
    RedisServer server = TestRedis.start(port);
    long pid = pid(port);
    Rule daily = Rule.builder("daily").limit(LimitSpec.calendarWindow(100, WindowUnit.DAY)).build();
    RateLimitPolicy p = RateLimitPolicy.builder().failureMode(RateLimitPolicy.FailureMode.FAIL_CLOSED).rule(daily).build();
    CallContext c = CallContext.tool("x").user("alice").build();
    try (RedisLimiterStore s = RedisLimiterStore.builder("redis://127.0.0.1:" + port).timeout(Duration.ofMillis(200)).build()) {
      RateLimiter l = RateLimiter.builder(p).store(s).build();
      assertTrue(take(l, c));
      long evalBefore = evalshaCalls(port);
      signal(pid, "STOP");
      try {
        for (int i = 0; i < 10; i++) {
          assertEquals(DenialReason.STORE_UNAVAILABLE, ((Decision.Denied) l.acquire(c)).reason(), "call " + i);
        }
      } finally {
        signal(pid, "CONT");
      }
      // Redis runs the ten queued scripts when it resumes: each is past its deadline
      assertTrue(take(l, c));
      for (int i = 0; i < 98; i++) {
        assertTrue(take(l, c), "grant " + (i + 3) + " of 100: the refused calls took nothing");
      }
      Decision.Denied none = (Decision.Denied) l.acquire(c);
      assertEquals(DenialReason.RATE_LIMITED, none.reason(), "exactly the 100 granted calls were charged");
      assertEquals(10 + 99 + 1, evalshaCalls(port) - evalBefore,
          "the ten refused scripts ran and applied nothing, by their deadline: no refund was needed");
    } finally {
      server.stop();
    }
  }

  @Test
  void aGrantWhoseReplyArrivesAfterTheTimeoutIsRefundedOnArrival() throws Exception {
    int port = TestRedis.freePort();
    RedisServer server = TestRedis.start(port);
    Rule daily = Rule.builder("daily").limit(LimitSpec.calendarWindow(100, WindowUnit.DAY)).build();
    RateLimitPolicy p = RateLimitPolicy.builder().failureMode(RateLimitPolicy.FailureMode.FAIL_CLOSED).rule(daily).build();
    CallContext c = CallContext.tool("x").user("alice").build();
    try (DelayingProxy proxy = new DelayingProxy(port);
        RedisLimiterStore s = RedisLimiterStore.builder("redis://127.0.0.1:" + proxy.port()).timeout(Duration.ofMillis(200)).build()) {
      RateLimiter l = RateLimiter.builder(p).store(s).build();
      assertTrue(take(l, c));
      proxy.replyDelayMillis = 500; // the scripts run at once, in time; their answers come back late
      for (int i = 0; i < 5; i++) {
        assertEquals(DenialReason.STORE_UNAVAILABLE, ((Decision.Denied) l.acquire(c)).reason(), "call " + i);
      }
      proxy.replyDelayMillis = 0;
      // the held-back replies drain first; calls answered late meanwhile fail (and are given back
      // too); the first granted call's reply came after every late one: their refunds are sent
      int attempts = 0;
      while (!take(l, c)) {
        assertTrue(++attempts < 100, "Redis answers in time again");
      }
      int more = 0;
      while (take(l, c)) {
        more++;
      }
      assertEquals(98, more, "the five grants reported as failures were given back when their replies arrived");
    } finally {
      server.stop();
    }
  }

  static boolean take(RateLimiter l, CallContext c) {
    if (l.acquire(c) instanceof Decision.Granted g) {
      g.commit();
      return true;
    }
    return false;
  }

  @Test
  void aStoreOnTheApplicationsClientOrConnectionClosesOnlyWhatItOpened() throws Exception {
    RedisClient app = RedisClient.create(TestRedis.url());
    try (StatefulRedisConnection<String, String> appConnection = app.connect()) {
      RateLimitPolicy p = RateLimitPolicy.builder().rule(Rule.builder("b").limit(LimitSpec.tokenBucket(2, 1, Duration.ofDays(1))).build()).build();
      CallContext c = CallContext.tool("x").user("alice").build();
      try (RedisLimiterStore onClient = RedisLimiterStore.builder(app).build()) {
        assertTrue(take(RateLimiter.builder(p).store(onClient).build(), c));
      }
      try (StatefulRedisConnection<String, String> other = app.connect()) {
        assertEquals("PONG", other.sync().ping(), "the application's client still connects");
      }
      long clientsBefore = Long.parseLong(TestRedis.admin(x -> x.info("clients")).replaceAll("(?s).*connected_clients:(\\d+).*", "$1"));
      try (RedisLimiterStore onConnection = RedisLimiterStore.builder(appConnection).build()) {
        RateLimiter l = RateLimiter.builder(p).store(onConnection).build();
        assertTrue(take(l, c));
        assertFalse(take(l, c), "the store on the application's connection shares the state");
        long clientsDuring = Long.parseLong(TestRedis.admin(x -> x.info("clients")).replaceAll("(?s).*connected_clients:(\\d+).*", "$1"));
        assertEquals(clientsBefore, clientsDuring, "no connection of its own");
      }
      assertTrue(appConnection.isOpen(), "closing the store left the application's connection open");
      assertEquals("PONG", appConnection.sync().ping());
    } finally {
      app.shutdown();
    }
  }

  @Test
  void onRedisTimeACalendarWindowEndsExactlyAtItsBoundaryAndRetryAfterIsNeverEarly() throws Exception {
    try (RedisLimiterStore s = RedisLimiterStore.builder(TestRedis.url()).build()) {
      RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder()
          .rule(Rule.builder("daily").limit(LimitSpec.calendarWindow(1, WindowUnit.DAY)).build())
          .rule(Rule.builder("minute").key(KeyResolvers.tenant()).limit(LimitSpec.calendarWindow(1, WindowUnit.MINUTE)).build())
          .build()).store(s).build();
      assertTrue(take(l, CallContext.tool("x").user("alice").tenant("t1").build()));
      Decision.Denied d = (Decision.Denied) l.acquire(CallContext.tool("x").user("alice").tenant("t2").build());
      java.time.Instant after = java.time.Instant.now();
      java.time.Instant midnight = after.truncatedTo(java.time.temporal.ChronoUnit.DAYS).plus(Duration.ofDays(1));
      assertEquals(midnight, d.resetAt(), "the UTC day ends at midnight exactly, not a few ms before");
      assertTrue(d.retryAfterNanos() >= Duration.between(after, midnight).toNanos(), "retry-after is never early");
      Decision.Denied m = (Decision.Denied) l.acquire(CallContext.tool("x").user("bob").tenant("t1").build());
      java.time.Instant now = java.time.Instant.now();
      assertEquals(now.truncatedTo(java.time.temporal.ChronoUnit.MINUTES).plusSeconds(60), m.resetAt());
      assertTrue(m.retryAfterNanos() >= Duration.between(now, m.resetAt()).toNanos());
    }
  }

  @Test
  void overlappingRefundsOnRedisTimeGiveBackWholeTokens() throws Exception {
    // issue 15.11: each refund lost the microseconds its permit was held; overlapping holds added
    // up to a whole token (319 left where 320 were due)
    try (RedisLimiterStore s = RedisLimiterStore.builder(TestRedis.url()).build()) {
      Rule bucket = Rule.builder("b").limit(LimitSpec.tokenBucket(1000, 1, Duration.ofDays(1))).build();
      RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().rule(bucket).build()).store(s).build();
      CallContext c = CallContext.tool("x").user("alice").build();
      int committed = 0;
      for (int round = 0; round < 20; round++) {
        List<Decision.Granted> held = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
          held.add((Decision.Granted) l.acquire(c));
        }
        for (int i = 0; i < held.size(); i++) {
          if (i % 10 == 0) {
            held.get(i).commit();
            committed++;
          } else {
            held.get(i).release();
          }
        }
      }
      int left = 0;
      while (take(l, c)) {
        left++;
      }
      assertEquals(1000 - committed, left, "exactly capacity - committed");
    }
  }

  @Test
  void anExactWindowIsALogBoundedByItsLimitWithATtlInOneScript() throws Exception {
    dev.mcpratelimit.testing.FakeClock clock = dev.mcpratelimit.testing.FakeClock.create();
    try (RedisLimiterStore s = RedisLimiterStore.builder(TestRedis.url()).clock(clock).build()) {
      Rule exact = Rule.builder("exact").limit(LimitSpec.exactSlidingWindow(5, Duration.ofMinutes(1))).build();
      RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().rule(exact).build()).clock(clock).store(s).build();
      CallContext c = CallContext.tool("x").user("alice").build();
      TestRedis.admin(x -> x.configResetstat());
      int granted = 0;
      for (int i = 0; i < 40; i++) { // one attempt every 5 s for 200 s: 5 per rolling minute
        granted += take(l, c) ? 1 : 0;
        clock.advance(Duration.ofSeconds(5));
      }
      assertEquals(5 + 5 + 5 + 4, granted, "5 in every 60 s, exactly: at 0..20 s, 60..80 s, 120..140 s, 180..195 s");
      assertEquals(40, evalshaCalls(), "one script per decision");
      String key = TestRedis.admin(x -> x.keys("*")).get(0);
      assertTrue(TestRedis.admin(x -> x.llen(key)) <= 5, "the log holds at most `limit` entries");
      assertTrue(TestRedis.admin(x -> x.pttl(key)) > 0, "and expires");
    }
  }

  @Property(tries = 300)
  void keysCannotCollideOrInject(@ForAll String a1, @ForAll String b1, @ForAll String a2, @ForAll String b2) throws Exception {
    net.jqwik.api.Assume.that(!(a1.equals(a2) && b1.equals(b2)));
    RedisLimiterStore s = Holder.store();
    String k1 = s.redisKey(new LimitKey("r", a1, b1));
    String k2 = s.redisKey(new LimitKey("r", a2, b2));
    assertNotEquals(k1, k2);
    assertTrue(k1.matches("mcp-rl:\\{mcp-rl\\}:[A-Za-z0-9_-]{43}"), k1);
  }

  /** One store for the property (no connection needed to compute keys, but the builder connects). */
  static final class Holder {
    private static RedisLimiterStore store;

    static synchronized RedisLimiterStore store() throws Exception {
      if (store == null) {
        store = RedisLimiterStore.builder(TestRedis.url()).build();
      }
      return store;
    }
  }
}
