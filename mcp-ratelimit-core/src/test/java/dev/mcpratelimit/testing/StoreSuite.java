package dev.mcpratelimit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Condition;
import dev.mcpratelimit.Cost;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.MissingIdentity;
import dev.mcpratelimit.Mode;
import dev.mcpratelimit.Probe;
import dev.mcpratelimit.RateLimitListener;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The store correctness suite: every {@link LimiterStore} (in memory, Redis, …) runs it unchanged
 * through a real {@link RateLimiter}. Subclasses supply the store. A store that takes time from
 * elsewhere (Redis {@code TIME}) returns {@code false} from {@link #storeUsesInjectedClock()}, and
 * the cases that advance the fake clock are skipped for it.
 */
public abstract class StoreSuite {
  protected FakeClock clock;
  protected LimiterStore store;
  protected final List<String> events = new CopyOnWriteArrayList<>();

  /**
   * @param clock the suite's clock, to time expiry where the store uses it
   * @return a fresh, empty store
   */
  protected abstract LimiterStore newStore(FakeClock clock);

  /** @return whether the store keeps time on the injected clock (false for Redis TIME) */
  protected boolean storeUsesInjectedClock() {
    return true;
  }

  @BeforeEach
  void createStore() {
    clock = FakeClock.create();
    store = newStore(clock);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  protected RateLimiter limiter(RateLimitPolicy policy) {
    return RateLimiter.builder(policy).clock(clock).store(store).sleeper(clock::advanceNanos)
        .listener(new RecordingListener(events)).build();
  }

  protected static CallContext call(String tool, @Nullable String user, @Nullable String tenant) {
    return CallContext.tool(tool).user(user).tenant(tenant).build();
  }

  protected static CallContext call(String tool, String user, Map<String, ?> args) {
    return CallContext.tool(tool).user(user).tenant("t1").arguments(args).build();
  }

  /** Acquires and commits; returns whether granted. */
  protected static boolean take(RateLimiter l, CallContext c) {
    Decision d = l.acquire(c);
    if (d instanceof Decision.Granted g) {
      g.commit();
      return true;
    }
    return false;
  }

  protected static int takeAll(RateLimiter l, CallContext c, int attempts) {
    int n = 0;
    for (int i = 0; i < attempts; i++) {
      n += take(l, c) ? 1 : 0;
    }
    return n;
  }

  // ------------------------------------------------------------------ stacking and selection

  @Test
  void stackedBurstAndDailyRulesAreBothEnforced() {
    assumeTrue(storeUsesInjectedClock());
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("burst").targets("create_issue").limit(LimitSpec.fixedWindow(3, WindowUnit.MINUTE)).build())
        .rule(Rule.builder("daily").targets("create_issue").limit(LimitSpec.fixedWindow(5, WindowUnit.DAY)).build())
        .build());
    CallContext c = call("create_issue", "alice", "t1");
    assertEquals(3, takeAll(l, c, 10), "burst limit");
    Decision.Denied d = (Decision.Denied) l.acquire(c);
    assertEquals("burst", d.rule());
    clock.advance(Duration.ofMinutes(1));
    assertEquals(2, takeAll(l, c, 10), "the daily limit caps the second minute");
    d = (Decision.Denied) l.acquire(c);
    assertEquals("daily", d.rule());
    clock.advance(Duration.ofMinutes(1));
    assertEquals(0, takeAll(l, c, 3), "daily limit holds across minutes");
  }

  @Test
  void wildcardRulesApplyAfterToolRulesAndToUnnamedTools() {
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("global").limit(LimitSpec.tokenBucket(4, 1, Duration.ofHours(1))).key(KeyResolvers.tenant()).build())
        .rule(Rule.builder("issues").targets("create_issue").limit(LimitSpec.tokenBucket(2, 1, Duration.ofHours(1))).build())
        .build());
    assertEquals(List.of("issues", "global"),
        Arrays.stream(l.policy().rulesFor(CallContext.Method.TOOLS_CALL, "create_issue")).map(Rule::name).toList());
    assertEquals(2, takeAll(l, call("create_issue", "alice", "t1"), 5));
    assertEquals("issues", ((Decision.Denied) l.acquire(call("create_issue", "alice", "t1"))).rule());
    assertEquals(2, takeAll(l, call("echo", "alice", "t1"), 5), "the tenant's global budget had 2 left");
    assertEquals("global", ((Decision.Denied) l.acquire(call("echo", "bob", "t1"))).rule());
    assertEquals(1, takeAll(l, call("echo", "bob", "t2"), 1), "another tenant is untouched");
  }

  // ------------------------------------------------------------------ atomicity

  @Test
  void atomicUnderEightThreadsOnOverlappingKeys() throws Exception {
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("user").limit(LimitSpec.tokenBucket(30, 1, Duration.ofDays(1))).build())
        .rule(Rule.builder("tenant").key(KeyResolvers.tenant()).limit(LimitSpec.tokenBucket(100, 1, Duration.ofDays(1))).build())
        .build());
    String[] users = {"u0", "u1", "u2", "u3", "u4", "u5"};
    LongAdder[] grants = new LongAdder[users.length];
    for (int i = 0; i < users.length; i++) {
      grants[i] = new LongAdder();
    }
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int seed = t;
      Thread th = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < 400; i++) {
          int u = (i + seed) % users.length;
          if (take(l, call("search", users[u], "t1"))) {
            grants[u].increment();
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
    long total = 0;
    for (LongAdder g : grants) {
      assertTrue(g.sum() <= 30, "a user bucket over-granted: " + g.sum());
      total += g.sum();
    }
    assertEquals(100, total, "exactly the tenant budget: no over-grant, and no cost leaked by denials");
  }

  @Test
  void aDenialKeepsNoCostOfTheRulesThatWouldHaveGranted() {
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("user").limit(LimitSpec.tokenBucket(3, 1, Duration.ofDays(1))).build())
        .rule(Rule.builder("tenant").key(KeyResolvers.tenant()).limit(LimitSpec.tokenBucket(2, 1, Duration.ofDays(1))).build())
        .build());
    assertEquals(2, takeAll(l, call("x", "alice", "t1"), 10));
    assertEquals(1, takeAll(l, call("x", "alice", "t2"), 10), "alice's 8 denials in t1 cost her nothing");
  }

  // ------------------------------------------------------------------ reservations

  @Test
  void releaseRefundsExactlyAndCommitKeeps() {
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("user").limit(LimitSpec.tokenBucket(3, 1, Duration.ofDays(1))).build())
        .rule(Rule.builder("day").limit(LimitSpec.fixedWindow(3, WindowUnit.DAY)).build())
        .build());
    CallContext c = call("x", "alice", "t1");
    Decision.Granted g1 = assertInstanceOf(Decision.Granted.class, l.acquire(c));
    Decision.Granted g2 = assertInstanceOf(Decision.Granted.class, l.acquire(c));
    g1.commit();
    g1.commit();
    g1.release(); // already settled: no effect
    g2.release();
    g2.release();
    assertTrue(g1.isSettled() && g2.isSettled());
    assertEquals(2, takeAll(l, c, 5), "one cost kept, one refunded");
  }

  @Test
  void concurrencyPermitsAreFreedByCommitAndByRelease() {
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("one at a time").limit(LimitSpec.concurrency(1)).build()).build());
    CallContext c = call("run_query", "alice", "t1");
    Decision.Granted g = assertInstanceOf(Decision.Granted.class, l.acquire(c));
    Decision.Denied d = assertInstanceOf(Decision.Denied.class, l.acquire(c));
    assertEquals(Probe.NEVER, d.retryAfterNanos());
    assertNull(d.window());
    assertTrue(l.acquire(call("run_query", "bob", "t1")).isGranted(), "per user");
    g.commit();
    Decision.Granted g2 = assertInstanceOf(Decision.Granted.class, l.acquire(c));
    g2.release();
    assertTrue(l.acquire(c).isGranted());
  }

  // ------------------------------------------------------------------ shadow, identity

  @Test
  void shadowRulesNeverDenyButReport() {
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("trial").mode(Mode.SHADOW).limit(LimitSpec.tokenBucket(2, 1, Duration.ofDays(1))).build()).build());
    CallContext c = call("x", "alice", "t1");
    assertEquals(5, takeAll(l, c, 5));
    assertEquals(3, events.stream().filter(e -> e.equals("shadow:trial")).count());
    Decision.Granted g = assertInstanceOf(Decision.Granted.class, l.acquire(c));
    assertEquals("trial", g.shadowDenials().get(0).rule());
  }

  @Test
  void missingIdentityShared() {
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("user").limit(LimitSpec.tokenBucket(2, 1, Duration.ofDays(1))).build()).build());
    assertEquals(2, takeAll(l, call("x", (String) null, (String) null), 5), "all anonymous callers share one bucket");
    assertEquals(0, takeAll(l, CallContext.tool("x").session("other").build(), 1));
    assertEquals(2, takeAll(l, call("x", "", (String) null), 5), "a user named '' is not anonymous");
    assertEquals(2, takeAll(l, call("x", "<shared>", (String) null), 5), "nor is one named like a sentinel");
    assertEquals(2, takeAll(l, call("x", "null", (String) null), 5));
  }

  @Test
  void missingIdentityDenyAndSkip() {
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("tenant required").key(KeyResolvers.tenant()).onMissingIdentity(MissingIdentity.DENY)
            .targets("pay").limit(LimitSpec.tokenBucket(5, 1, Duration.ofDays(1))).build())
        .rule(Rule.builder("per session").key(KeyResolvers.session()).onMissingIdentity(MissingIdentity.SKIP)
            .limit(LimitSpec.tokenBucket(1, 1, Duration.ofDays(1))).build())
        .build());
    Decision.Denied d = assertInstanceOf(Decision.Denied.class, l.acquire(call("pay", "alice", (String) null)));
    assertEquals(DenialReason.MISSING_IDENTITY, d.reason());
    assertEquals(List.of("tenant"), d.scope());
    assertEquals(Probe.NEVER, d.retryAfterNanos());
    assertEquals(4, takeAll(l, call("pay", "alice", "t1"), 4), "no session: the session rule is skipped");
    CallContext withSession = CallContext.tool("echo").user("a").session("s1").build();
    assertEquals(1, takeAll(l, withSession, 3));
  }

  @Test
  void compositeKeysNeverCollide() {
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("pair").key(KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tenant()))
            .limit(LimitSpec.tokenBucket(1, 1, Duration.ofDays(1))).build()).build());
    String[][] pairs = {{"a:b", "c"}, {"a", "b:c"}, {"1:a", "1:b"}, {"1:a1:b", ""}, {"", "1:a1:b"}, {"a|b", "c"}, {"a", "b|c"}};
    for (String[] p : pairs) {
      assertEquals(1, takeAll(l, call("x", p[0], p[1]), 2), "pair " + Arrays.toString(p) + " shares a bucket");
    }
  }

  // ------------------------------------------------------------------ costs and conditions

  @Test
  void argumentCostsAreChargedAndBadValuesTouchNoCounter() {
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("spend").key(KeyResolvers.tenant()).cost(Cost.fromArgument("args.amount"))
            .limit(LimitSpec.fixedWindow(1000, WindowUnit.DAY)).build()).build());
    assertTrue(take(l, call("charge", "u", Map.of("amount", 400))));
    Map<String, Object> nulls = new HashMap<>();
    nulls.put("amount", null);
    List<Map<String, ?>> bad = List.of(Map.of(), nulls, Map.of("amount", "12"), Map.of("amount", Double.NaN),
        Map.of("amount", -1), Map.of("amount", 2.5), Map.of("amount", 1e30),
        Map.of("amount", new BigDecimal(Long.MAX_VALUE).add(BigDecimal.ONE)), Map.of("amount", Map.of("x", 1)));
    for (Map<String, ?> args : bad) {
      Decision.Denied d = assertInstanceOf(Decision.Denied.class, l.acquire(call("charge", "u", args)), args.toString());
      assertEquals(DenialReason.INVALID_COST, d.reason());
      assertTrue(d.message().contains("args.amount"), d.message());
      assertEquals(Probe.NEVER, d.retryAfterNanos());
    }
    assertTrue(take(l, call("charge", "u", Map.of("amount", 600.0))), "nothing was charged by the bad calls");
    Decision.Denied over = assertInstanceOf(Decision.Denied.class, l.acquire(call("charge", "u", Map.of("amount", 1))));
    assertEquals(0, over.remaining());
    Decision.Denied tooBig = assertInstanceOf(Decision.Denied.class, l.acquire(call("charge", "v", Map.of("amount", 1001))));
    assertEquals(Probe.NEVER, tooBig.retryAfterNanos(), "a cost above the limit can never fit");
  }

  @Test
  void conditionsDenyWithoutTouchingCounters() {
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("max single charge").targets("charge")
            .condition(Condition.of("args.amount", Condition.Op.LTE, 50000))
            .onDeny("Single charge cannot exceed $500.00").build())
        .rule(Rule.builder("currencies").targets("charge")
            .condition(Condition.of("args.currency", Condition.Op.IN, List.of("usd", "eur"))).build())
        .rule(Rule.builder("count").targets("charge").limit(LimitSpec.tokenBucket(2, 1, Duration.ofDays(1))).build())
        .build());
    Decision.Denied d = assertInstanceOf(Decision.Denied.class,
        l.acquire(call("charge", "u", Map.of("amount", 60000, "currency", "usd"))));
    assertEquals(DenialReason.CONDITION_FAILED, d.reason());
    assertEquals("Single charge cannot exceed $500.00", d.message());
    d = assertInstanceOf(Decision.Denied.class, l.acquire(call("charge", "u", Map.of("amount", 100, "currency", "gbp"))));
    assertEquals("currencies", d.rule());
    assertEquals(2, takeAll(l, call("charge", "u", Map.of("amount", 100, "currency", "eur")), 4));
  }

  // ------------------------------------------------------------------ policy-level denials

  @Test
  void defaultDenyAndHiddenTools() {
    RateLimiter l = limiter(RateLimitPolicy.builder().defaultAction(RateLimitPolicy.DefaultAction.DENY)
        .hide("delete_repository")
        .rule(Rule.builder("reads").targets("read").limit(LimitSpec.tokenBucket(5, 1, Duration.ofDays(1))).build())
        .build());
    assertTrue(take(l, call("read", "u", "t")));
    assertEquals(DenialReason.NOT_ALLOWED, ((Decision.Denied) l.acquire(call("write", "u", "t"))).reason());
    assertEquals(DenialReason.HIDDEN, ((Decision.Denied) l.acquire(call("delete_repository", "u", "t"))).reason());
  }

  // ------------------------------------------------------------------ backoff and waiting

  @Test
  void backoffDeniesTheScopeUntilTheInstant() {
    assumeTrue(storeUsesInjectedClock());
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("user").limit(LimitSpec.tokenBucket(100, 1, Duration.ofSeconds(1))).build()).build());
    l.backoff(call("github", "u", "acme"), KeyResolvers.tenant(), Duration.ofSeconds(30));
    Decision.Denied d = assertInstanceOf(Decision.Denied.class, l.acquire(call("github", "v", "acme")));
    assertEquals(DenialReason.BACKOFF, d.reason());
    assertEquals(Duration.ofSeconds(30).toNanos(), d.retryAfterNanos());
    assertTrue(take(l, call("github", "v", "other")), "other tenants are not affected");
    clock.advance(Duration.ofSeconds(30));
    assertTrue(take(l, call("github", "v", "acme")));
  }

  @Test
  void backoffWaitsWhenWithinMaxWait() throws Exception {
    assumeTrue(storeUsesInjectedClock());
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("user").maxWait(Duration.ofSeconds(5)).limit(LimitSpec.tokenBucket(100, 1, Duration.ofSeconds(1))).build()).build());
    l.backoff(KeyResolvers.tool(), "github", clock.instant().plusSeconds(3));
    long before = clock.nanos();
    assertTrue(l.acquireBlocking(call("github", "u", "t")).isGranted());
    assertEquals(Duration.ofSeconds(3).toNanos(), clock.nanos() - before);
  }

  @Test
  void blockingWaitOnTokenBucketServesWaitersInOrderNeverPastMaxWait() throws Exception {
    assumeTrue(storeUsesInjectedClock());
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("search").maxWait(Duration.ofSeconds(2)).limit(LimitSpec.tokenBucket(2, 1, Duration.ofSeconds(1))).build()).build());
    CallContext c = call("search", "u", "t");
    List<Long> delays = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Decision d = l.reserve(c, RateLimiter.FIRST_ATTEMPT);
      delays.add(d instanceof Decision.Granted g ? g.delayNanos() : -1L);
    }
    assertEquals(List.of(0L, 0L, 1_000_000_000L, 2_000_000_000L, -1L), delays);
    Decision.Denied d = assertInstanceOf(Decision.Denied.class, l.reserve(c, RateLimiter.FIRST_ATTEMPT));
    assertFalse(d.waitable(), "waiting 3 s exceeds the 2 s max wait");
    long before = clock.nanos();
    clock.advance(Duration.ofSeconds(2)); // the booked slots pass
    assertTrue(l.acquireBlocking(c).isGranted());
    assertTrue(l.acquireBlocking(c).isGranted());
    assertTrue(clock.nanos() - before - Duration.ofSeconds(2).toNanos() <= Duration.ofSeconds(2).toNanos());
    assertTrue(events.stream().anyMatch(e -> e.startsWith("waited:")));
  }

  @Test
  void blockingWaitOnWindowWaitsForResetOnlyWithinMaxWait() throws Exception {
    assumeTrue(storeUsesInjectedClock());
    clock.set(Instant.parse("2026-01-01T00:00:58Z"));
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("minute").maxWait(Duration.ofSeconds(5)).limit(LimitSpec.fixedWindow(1, WindowUnit.MINUTE)).build()).build());
    CallContext c = call("x", "u", "t");
    assertTrue(take(l, c));
    assertTrue(l.acquireBlocking(c).isGranted(), "waits 2 s for the next minute");
    assertEquals(Instant.parse("2026-01-01T00:01:00Z"), clock.instant());
    Decision.Denied d = assertInstanceOf(Decision.Denied.class, l.acquireBlocking(c));
    assertEquals(Duration.ofSeconds(60).toNanos(), d.retryAfterNanos(), "60 s exceeds the max wait: denied at once");
    assertEquals(Instant.parse("2026-01-01T00:01:00Z"), clock.instant());
  }

  @Test
  void interruptedWaitReleasesAndThrows() {
    assumeTrue(storeUsesInjectedClock());
    RateLimitPolicy policy = RateLimitPolicy.builder()
        .rule(Rule.builder("b").maxWait(Duration.ofSeconds(5)).limit(LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(1))).build()).build();
    RateLimiter l = RateLimiter.builder(policy).clock(clock).store(store)
        .sleeper(n -> {
          throw new InterruptedException();
        }).build();
    CallContext c = call("x", "u", "t");
    assertTrue(take(l, c));
    assertThrows(InterruptedException.class, () -> l.acquireBlocking(c));
    Decision d = l.reserve(c, RateLimiter.FIRST_ATTEMPT);
    assertEquals(1_000_000_000L, ((Decision.Granted) d).delayNanos(), "the interrupted waiter's slot was released");
  }

  // ------------------------------------------------------------------ listeners and failures

  @Test
  void listenerExceptionsNeverBreakACall() {
    RateLimitPolicy policy = RateLimitPolicy.builder()
        .rule(Rule.builder("b").limit(LimitSpec.tokenBucket(1, 1, Duration.ofDays(1))).build()).build();
    RateLimitListener angry = new RateLimitListener() {
      @Override
      public void onGranted(CallContext call, Decision.Granted decision) {
        throw new IllegalStateException("boom");
      }

      @Override
      public void onDenied(CallContext call, Decision.Denied denial) {
        throw new IllegalStateException("boom");
      }
    };
    RateLimiter l = RateLimiter.builder(policy).clock(clock).store(store).listener(angry).build();
    assertTrue(l.acquire(call("x", "u", "t")).isGranted());
    assertFalse(l.acquire(call("x", "u", "t")).isGranted());
  }

  @Test
  void storeFailureFailsOpenOrClosedAndIsReported() {
    LimiterStore broken = new LimiterStore() {
      @Override
      public @Nullable Ticket acquire(Batch batch) {
        throw new IllegalStateException("store down");
      }
    };
    for (RateLimitPolicy.FailureMode mode : RateLimitPolicy.FailureMode.values()) {
      List<String> seen = new CopyOnWriteArrayList<>();
      RateLimitPolicy policy = RateLimitPolicy.builder().failureMode(mode)
          .rule(Rule.builder("b").limit(LimitSpec.tokenBucket(1, 1, Duration.ofDays(1))).build()).build();
      RateLimiter l = RateLimiter.builder(policy).clock(clock).store(broken).listener(new RecordingListener(seen)).build();
      Decision d = l.acquire(call("x", "u", "t"));
      if (mode == RateLimitPolicy.FailureMode.FAIL_OPEN) {
        assertTrue(d.isGranted());
      } else {
        assertEquals(DenialReason.STORE_UNAVAILABLE, ((Decision.Denied) d).reason());
      }
      assertTrue(seen.contains("storeError:store down"), seen.toString());
    }
  }

  @Test
  void denialCarriesEveryFieldAndTheLargestRetryAfter() {
    assumeTrue(storeUsesInjectedClock());
    clock.set(Instant.parse("2026-01-01T14:20:00Z"));
    RateLimiter l = limiter(RateLimitPolicy.builder()
        .rule(Rule.builder("hourly issue limit").targets("create_issue").key(KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tool()))
            .limit(LimitSpec.fixedWindow(5, WindowUnit.HOUR)).onDeny("Hourly limit of 5 new issues reached").build())
        .rule(Rule.builder("minute").targets("create_issue").limit(LimitSpec.fixedWindow(5, WindowUnit.MINUTE)).build())
        .build());
    CallContext c = call("create_issue", "alice", "t1");
    assertEquals(5, takeAll(l, c, 5));
    Decision.Denied d = assertInstanceOf(Decision.Denied.class, l.acquire(c));
    assertEquals(DenialReason.RATE_LIMITED, d.reason());
    assertEquals("hourly issue limit", d.rule());
    assertEquals(List.of("user", "tool"), d.scope());
    assertEquals(5, d.limit());
    assertEquals(Duration.ofHours(1), d.window());
    assertEquals(0, d.remaining());
    assertEquals(1, d.cost());
    assertEquals(Duration.ofMinutes(40).toNanos(), d.retryAfterNanos(), "the largest over both denying rules");
    assertEquals(Instant.parse("2026-01-01T15:00:00Z"), d.resetAt());
    assertEquals("Hourly limit of 5 new issues reached", d.message());
    assertFalse(d.toString().contains("alice"), "a denial never carries identity values");
  }

  /** Records events as short strings. */
  protected static final class RecordingListener implements RateLimitListener {
    private final List<String> events;

    public RecordingListener(List<String> events) {
      this.events = events;
    }

    @Override
    public void onShadowDenied(CallContext call, Decision.Denied wouldBe) {
      events.add("shadow:" + wouldBe.rule());
    }

    @Override
    public void onWaited(CallContext call, long waitedNanos) {
      events.add("waited:" + waitedNanos);
    }

    @Override
    public void onEvicted(String rule) {
      events.add("evicted:" + rule);
    }

    @Override
    public void onStoreError(Throwable error) {
      events.add("storeError:" + error.getMessage());
    }
  }

}
