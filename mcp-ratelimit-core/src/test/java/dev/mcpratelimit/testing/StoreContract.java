package dev.mcpratelimit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Condition;
import dev.mcpratelimit.Cost;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.KeyResolver;
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
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The store correctness suite, written once and run unchanged against every {@link LimiterStore}
 * (the in-memory store, Redis, …) through a real {@link RateLimiter}.
 *
 * <p>A subclass supplies a fresh store per test with {@link #newStore(FakeClock)}. Everything
 * runs against that store; only the store-failure cases wrap it in a store whose
 * {@code acquire} throws.
 *
 * <p>Time. The engine always runs on a {@link FakeClock}; {@link #advance} moves it (override it
 * if the store keeps its own time and can be moved too). A store that takes time from elsewhere
 * (Redis {@code TIME}) returns {@code false} from {@link #storeUsesInjectedClock()}: the cases that
 * depend on the passage of time are then skipped, and every other case is built to hold on a
 * real-time store — its token buckets refill one token per day, so nothing refills while a test
 * runs.
 *
 * <p>What a store must support besides {@link LimiterStore#acquire}: a cost of 0 peeks (is always
 * granted, changes nothing, reports the remaining cost); the suite reads counters that way.
 *
 * <p>The key-collision property runs under jqwik, outside JUnit's lifecycle ({@code @BeforeAll},
 * {@code @BeforeEach} do not run for it) and calls {@link #newStore} itself: a subclass that needs
 * a server should start it lazily (a static holder), not only in {@code @BeforeAll}.
 */
public abstract class StoreContract {
  /** Assumption message of the cases that need the store on the injected clock. */
  protected static final String NEEDS_INJECTED_CLOCK = "the store keeps its own time";

  private static final long SECOND = 1_000_000_000L;

  protected FakeClock clock;
  protected LimiterStore store;
  protected final Recorder events = new Recorder();

  /**
   * A new, empty store for one test.
   *
   * @param clock the test's clock; a store that can take time from it should
   * @return the store
   */
  protected abstract LimiterStore newStore(FakeClock clock);

  /**
   * Whether the store decides on the injected clock. Return {@code false} for a store that takes
   * time from elsewhere; the time-dependent cases are then skipped.
   *
   * @return {@code true} by default
   */
  protected boolean storeUsesInjectedClock() {
    return true;
  }

  /**
   * Moves time forward by {@code d}, for the engine and (when it uses it) the store. Also how
   * blocking waits wait.
   *
   * @param clock the clock to move
   * @param d how far
   */
  protected void advance(FakeClock clock, Duration d) {
    clock.advance(d);
  }

  @BeforeEach
  void createStore() {
    clock = FakeClock.create(); // 2026-01-01T00:00:00Z, the start of every calendar window
    store = newStore(clock);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  // ====================================================================== helpers

  /** A token bucket that regains one token per day: effectively frozen while a test runs. */
  protected static LimitSpec.TokenBucket frozen(long capacity) {
    return LimitSpec.tokenBucket(capacity, 1, Duration.ofDays(1));
  }

  /** @return a limiter on the suite's clock and store, reporting to {@link #events} */
  protected RateLimiter limiter(RateLimitPolicy policy) {
    return RateLimiter.builder(policy).clock(clock).store(store).listener(events)
        .sleeper(nanos -> advance(clock, Duration.ofNanos(nanos))).build();
  }

  /** @return a limiter for a policy of these rules */
  protected RateLimiter limiter(Rule... rules) {
    return limiter(RateLimitPolicy.builder().rules(Arrays.asList(rules)).build());
  }

  protected static CallContext call(String tool, @Nullable String user) {
    return CallContext.tool(tool).user(user).build();
  }

  protected static CallContext call(String tool, @Nullable String user, @Nullable String tenant) {
    return CallContext.tool(tool).user(user).tenant(tenant).build();
  }

  protected static CallContext call(String tool, @Nullable String user, Map<String, ?> args) {
    return CallContext.tool(tool).user(user).tenant("t1").arguments(args).build();
  }

  protected static Decision.Granted granted(Decision d) {
    return assertInstanceOf(Decision.Granted.class, d, () -> "expected a grant, got " + d);
  }

  protected static Decision.Denied denied(Decision d) {
    return assertInstanceOf(Decision.Denied.class, d, () -> "expected a denial, got " + d);
  }

  /** Acquires and commits. @return whether it was granted */
  protected static boolean take(RateLimiter l, CallContext c) {
    if (l.acquire(c) instanceof Decision.Granted g) {
      g.commit();
      return true;
    }
    return false;
  }

  /** @return how many of {@code attempts} acquisitions were granted (each committed) */
  protected static int takeAll(RateLimiter l, CallContext c, int attempts) {
    int n = 0;
    for (int i = 0; i < attempts; i++) {
      n += take(l, c) ? 1 : 0;
    }
    return n;
  }

  /**
   * Reads a counter without changing it: a cost-0 acquisition of {@code rule}'s key for
   * {@code call}.
   *
   * @return the cost still available under {@code rule} for that caller
   */
  protected long remaining(Rule rule, CallContext call) {
    return peek(store, clock.nanos(), rule, rule.key().resolve(call));
  }

  /** @return the remaining cost of {@code rule}'s key {@code part} in {@code store} */
  protected static long peek(LimiterStore store, long now, Rule rule, @Nullable String part) {
    Batch b = new Batch().reset(now);
    b.add(rule.name(), rule.stateIdentity(), part, Objects.requireNonNull(rule.limit(), "limit"), 0, 0);
    LimiterStore.Ticket t = store.acquire(b);
    assertNotNull(t, "a peek (cost 0) is always granted");
    t.releasePermits();
    return b.probe(0).remaining();
  }

  private static Instant at(String instant) {
    return Instant.parse(instant);
  }

  /** Moves time forward to {@code instant} through {@link #advance}. */
  protected void advanceTo(Instant instant) {
    Duration d = Duration.between(clock.instant(), instant);
    if (d.isNegative()) {
      throw new IllegalArgumentException("time only moves forward in this suite: " + clock.instant() + " -> " + instant);
    }
    advance(clock, d);
  }

  /** Moves time forward to the next hh:mm:58, two seconds before a minute window ends. */
  protected void advanceToSecond58() {
    Instant now = clock.instant();
    Instant t = now.truncatedTo(java.time.temporal.ChronoUnit.MINUTES).plusSeconds(58);
    advanceTo(t.isBefore(now) ? t.plusSeconds(60) : t);
  }

  // ====================================================================== stacking and selection

  @Test
  void stackedBurstAndDailyRulesAreBothEnforced() {
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    Rule burst = Rule.builder("burst").targets("create_issue").limit(LimitSpec.fixedWindow(3, WindowUnit.MINUTE))
        .onDeny("Slow down — max 3 issues per minute").build();
    Rule daily = Rule.builder("daily").targets("create_issue").limit(LimitSpec.fixedWindow(20, WindowUnit.DAY)).build();
    RateLimiter l = limiter(burst, daily);
    CallContext alice = call("create_issue", "alice");

    assertEquals(3, takeAll(l, alice, 10), "3 per minute");
    Decision.Denied d = denied(l.acquire(alice));
    assertEquals("burst", d.rule());
    assertEquals("Slow down — max 3 issues per minute", d.message());
    assertEquals(60 * SECOND, d.retryAfterNanos(), "the minute window resets at 00:01");
    assertEquals(17, remaining(daily, alice), "burst denials took nothing from the daily budget");

    int total = 3;
    for (int minute = 1; minute < 6; minute++) {
      advance(clock, Duration.ofMinutes(1));
      assertEquals(3, takeAll(l, alice, 10), "minute " + minute);
      total += 3;
    }
    assertEquals(18, total);
    advance(clock, Duration.ofMinutes(1));
    assertEquals(2, takeAll(l, alice, 10), "the daily limit caps the seventh minute");
    d = denied(l.acquire(alice));
    assertEquals("daily", d.rule(), "burst still had room: the daily rule denies");
    assertEquals(Duration.ofDays(1).minusMinutes(6).toNanos(), d.retryAfterNanos(), "until midnight");
    assertEquals(at("2026-01-02T00:00:00Z"), d.resetAt());

    advance(clock, Duration.ofMinutes(1));
    assertEquals(0, takeAll(l, alice, 5), "the daily limit holds in later minutes");
    assertEquals(3, takeAll(l, call("create_issue", "bob"), 5), "per user");
    assertEquals(5, takeAll(l, call("list_issues", "alice"), 5), "other tools are not limited");

    advanceTo(at("2026-01-02T00:00:00Z"));
    assertEquals(3, takeAll(l, alice, 10), "a new day");
  }

  @Test
  void wildcardRulesApplyAfterToolRulesAndToToolsNoRuleNames() {
    // declared first, applied last
    Rule global = Rule.builder("global").targets(Rule.ANY).key(KeyResolvers.tenant()).limit(frozen(3)).build();
    Rule issues = Rule.builder("issues").targets("create_issue").limit(frozen(2)).build();
    RateLimiter l = limiter(global, issues);
    assertEquals(List.of("issues", "global"),
        Arrays.stream(l.policy().rulesFor(CallContext.Method.TOOLS_CALL, "create_issue")).map(Rule::name).toList());
    assertEquals(List.of("global"),
        Arrays.stream(l.policy().rulesFor(CallContext.Method.TOOLS_CALL, "echo")).map(Rule::name).toList());

    CallContext alice = call("create_issue", "alice", "t1");
    assertEquals(2, takeAll(l, alice, 2));
    assertEquals("issues", denied(l.acquire(alice)).rule());
    assertEquals(1, remaining(global, alice), "the tool rule's denial took nothing from the tenant");
    assertTrue(take(l, call("echo", "bob", "t1")), "the wildcard rule applies to a tool no rule names");
    assertEquals("global", denied(l.acquire(call("create_issue", "carol", "t1"))).rule(),
        "carol's own issue budget is full, the tenant's is not");
    assertEquals("issues", denied(l.acquire(alice)).rule(), "both deny: the tool rule is reported first");
    assertEquals("global", denied(l.acquire(call("echo", "dave", "t1"))).rule());
    assertTrue(take(l, call("echo", "dave", "t2")), "another tenant is untouched");
  }

  // ====================================================================== atomicity

  @Test
  void aDenialKeepsNoCostOfTheRulesThatWouldHaveGranted() {
    Rule user = Rule.builder("user").limit(frozen(5)).build();
    Rule conc = Rule.builder("parallel").limit(LimitSpec.concurrency(2)).build();
    Rule tenant = Rule.builder("tenant").key(KeyResolvers.tenant()).limit(frozen(2)).build();
    RateLimiter l = limiter(user, conc, tenant);
    CallContext alice = call("x", "alice", "t1");
    assertEquals(2, takeAll(l, alice, 12));
    assertEquals(3, remaining(user, alice), "ten denials by the tenant rule took nothing from alice's bucket");
    assertEquals(2, remaining(conc, alice), "and held no permit");
    assertEquals(2, takeAll(l, call("x", "alice", "t2"), 5), "another tenant's budget");
    assertEquals(1, remaining(user, alice), "alice's bucket paid for exactly four grants");
  }

  static Stream<String> tenantBudgets() {
    return Stream.of("token bucket", "exact sliding window", "sliding window", "fixed window");
  }

  @ParameterizedTest(name = "tenant budget: {0}")
  @MethodSource("tenantBudgets")
  void eightThreadsOnOverlappingKeysNeitherOverGrantNorLeak(String budget) throws Exception {
    LimitSpec tenantSpec = switch (budget) {
      case "token bucket" -> frozen(120);
      case "exact sliding window" -> LimitSpec.exactSlidingWindow(120, Duration.ofDays(1));
      case "sliding window" -> LimitSpec.slidingWindow(120, Duration.ofDays(1));
      default -> LimitSpec.fixedWindow(120, WindowUnit.DAY);
    };
    // windows aligned to UTC days would roll over at midnight on a real-time store
    assumeTrue(storeUsesInjectedClock() || tenantSpec instanceof LimitSpec.TokenBucket
        || tenantSpec instanceof LimitSpec.SlidingWindow sw && sw.exact(), NEEDS_INJECTED_CLOCK);
    // one tenant budget shared by two rules' callers; per-user buckets per tool
    Rule tenant = Rule.builder("tenant").key(KeyResolvers.tenant()).limit(tenantSpec).build();
    Rule search = Rule.builder("search per user").targets("search").limit(frozen(20)).build();
    Rule write = Rule.builder("write per user").targets("write")
        .key(KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tool())).limit(frozen(10)).build();
    RateLimiter l = limiter(write, search, tenant);
    String[] users = {"u0", "u1", "u2", "u3", "u4"};
    String[] tools = {"search", "write"};
    AtomicLongArray kept = new AtomicLongArray(users.length * 2); // [user * 2 + tool]
    AtomicLong released = new AtomicLong();
    runThreads(8, t -> {
      Random random = new Random(t);
      for (int i = 0; i < 500; i++) {
        int u = random.nextInt(users.length);
        int tool = random.nextInt(2);
        if (l.acquire(call(tools[tool], users[u], "t1")) instanceof Decision.Granted g) {
          if (random.nextInt(10) == 0) {
            g.release();
            released.incrementAndGet();
          } else {
            g.commit();
            kept.incrementAndGet(u * 2 + tool);
          }
        }
      }
    });

    long total = 0;
    for (int u = 0; u < users.length; u++) {
      long s = kept.get(u * 2);
      long w = kept.get(u * 2 + 1);
      assertTrue(s <= 20 && w <= 10, "a user bucket over-granted: " + s + " searches, " + w + " writes");
      assertEquals(20 - s, remaining(search, call("search", users[u], "t1")), "search bucket of " + users[u]);
      assertEquals(10 - w, remaining(write, call("write", users[u], "t1")), "write bucket of " + users[u]);
      total += s + w;
    }
    assertTrue(released.get() > 0);
    assertEquals(120 - total, remaining(tenant, call("search", "u0", "t1")),
        "the tenant bucket holds exactly the kept grants: no over-grant, no cost leaked by denials or refunds");
    assertEquals(120, total, "4000 attempts exhaust the tenant budget");
  }

  @Test
  void eightThreadsNeverHoldMorePermitsThanTheConcurrencyLimit() throws Exception {
    Rule conc = Rule.builder("three at a time").key(KeyResolvers.tenant()).limit(LimitSpec.concurrency(3)).build();
    Rule perUser = Rule.builder("per user").limit(frozen(1_000)).build();
    RateLimiter l = limiter(conc, perUser);
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxSeen = new AtomicInteger();
    AtomicLong grants = new AtomicLong();
    runThreads(8, t -> {
      for (int i = 0; i < 300; i++) {
        if (l.acquire(call("run_query", "u" + t, "t1")) instanceof Decision.Granted g) {
          grants.incrementAndGet();
          int now = inFlight.incrementAndGet();
          maxSeen.accumulateAndGet(now, Math::max);
          Thread.yield();
          inFlight.decrementAndGet();
          if (i % 2 == 0) {
            g.commit();
          } else {
            g.release();
          }
        }
      }
    });
    assertTrue(maxSeen.get() <= 3, "held " + maxSeen.get() + " permits at once");
    assertTrue(grants.get() > 0);
    assertEquals(3, remaining(conc, call("run_query", "u0", "t1")), "every permit was freed");
  }

  @Test
  void aBatchTheStoreRejectsMidwayKeepsNothing() {
    Rule first = Rule.builder("first").limit(frozen(5)).build();
    Rule second = Rule.builder("second").limit(frozen(5)).build();
    Batch b = new Batch().reset(clock.nanos());
    b.add(first.name(), first.stateIdentity(), "alice", first.limit(), 1, 0);
    b.add(second.name(), second.stateIdentity(), "alice", second.limit(), -1, 0); // misuse: a negative cost
    LimiterStore.Ticket t = null;
    try {
      t = store.acquire(b);
    } catch (RuntimeException expected) {
      // a store may refuse the batch by throwing
    }
    assertNull(t, "a negative cost is never granted");
    assertEquals(5, peek(store, clock.nanos(), first, "alice"), "nothing of the failed batch was kept");
    assertEquals(5, peek(store, clock.nanos(), second, "alice"));
  }

  @Test
  void anUpdatedPolicyKeepsTheCountersOfUnchangedRulesOnly() {
    Rule perUser = Rule.builder("per user").limit(frozen(3)).build();
    Rule perTenant = Rule.builder("per tenant").key(KeyResolvers.tenant()).limit(frozen(5)).build();
    RateLimiter l = limiter(perUser, perTenant);
    CallContext alice = call("x", "alice", "t1");
    assertEquals(3, takeAll(l, alice, 3));
    Rule sameUser = Rule.builder("per user").limit(frozen(3)).onDeny("changed message only").build();
    Rule biggerTenant = Rule.builder("per tenant").key(KeyResolvers.tenant()).limit(frozen(6)).build();
    l.updatePolicy(RateLimitPolicy.builder().rule(sameUser).rule(biggerTenant).build());
    Decision.Denied d = denied(l.acquire(alice));
    assertEquals("per user", d.rule(), "the unchanged rule kept its counter");
    assertEquals("changed message only", d.message());
    assertEquals(6, remaining(biggerTenant, alice), "the changed rule starts fresh");
  }

  // ====================================================================== reservations

  @Test
  void releaseRefundsExactlyAndCommitKeeps() {
    Rule bucket = Rule.builder("bucket").limit(frozen(5)).build();
    Rule log = Rule.builder("log").limit(LimitSpec.exactSlidingWindow(5, Duration.ofDays(1))).build();
    Rule weighted = Rule.builder("weighted").key(KeyResolvers.tenant()).cost(3).limit(frozen(100)).build();
    RateLimiter l = limiter(bucket, log, weighted);
    CallContext alice = call("x", "alice", "t1");
    Decision.Granted g1 = granted(l.acquire(alice));
    Decision.Granted g2 = granted(l.acquire(alice));
    Decision.Granted g3 = granted(l.acquire(alice));
    assertEquals(2, remaining(bucket, alice));
    assertEquals(2, remaining(log, alice));
    assertEquals(91, remaining(weighted, alice));

    g2.release();
    assertEquals(3, remaining(bucket, alice), "a release gives back exactly its cost");
    assertEquals(3, remaining(log, alice));
    assertEquals(94, remaining(weighted, alice), "the whole weight");
    g1.commit();
    assertEquals(3, remaining(bucket, alice), "a commit keeps the cost");
    assertEquals(94, remaining(weighted, alice));
    g3.commit();
    assertEquals(3, remaining(bucket, alice));
    assertEquals(3, takeAll(l, alice, 5), "two kept, one refunded, three left");
  }

  @Test
  void aRefundIsExactWhenCallersReachTheStoreOutOfClockOrder() {
    // two callers read the clock at t and t + 1 ms, the later reading reaches the store first
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    List<LimitSpec> specs = List.of(frozen(5), LimitSpec.fixedWindow(5, WindowUnit.DAY),
        LimitSpec.slidingWindow(5, Duration.ofDays(1)), LimitSpec.exactSlidingWindow(5, Duration.ofDays(1)),
        LimitSpec.concurrency(5));
    for (LimitSpec spec : specs) {
      Rule rule = Rule.builder("out of order").limit(spec).build();
      long t = clock.nanos();
      LimiterStore.Ticket later = acquireOne(rule, "alice", t + 1_000_000);
      LimiterStore.Ticket earlier = acquireOne(rule, "alice", t);
      assertEquals(3, peek(store, t + 1_000_000, rule, "alice"), spec.toString());
      earlier.refund();
      assertEquals(4, peek(store, t + 1_000_000, rule, "alice"), "the earlier-read grant was refunded: " + spec);
      later.refund();
      assertEquals(5, peek(store, t + 1_000_000, rule, "alice"), "and the later one: " + spec);
    }
  }

  private LimiterStore.Ticket acquireOne(Rule rule, String part, long now) {
    Batch b = new Batch().reset(now);
    b.add(rule.name(), rule.stateIdentity(), part, Objects.requireNonNull(rule.limit()), 1, 0);
    LimiterStore.Ticket ticket = store.acquire(b);
    assertNotNull(ticket, () -> "granted: " + rule.limit());
    return ticket;
  }

  @Test
  void aLateReleaseNeverLetsLaterCallersExceedTheLimit() {
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    // limit 2 per minute; a slow call at :00, others at :40 and at :70, then the slow call fails
    Map<LimitSpec, Long> remainingAfterRelease = new java.util.LinkedHashMap<>();
    remainingAfterRelease.put(LimitSpec.tokenBucket(2, 2, Duration.ofMinutes(1)), 0L); // its tokens had refilled
    remainingAfterRelease.put(LimitSpec.fixedWindow(2, WindowUnit.MINUTE), 0L); // its window is over
    remainingAfterRelease.put(LimitSpec.exactSlidingWindow(2, Duration.ofMinutes(1)), 0L); // its entry left the window
    remainingAfterRelease.put(LimitSpec.slidingWindow(2, Duration.ofMinutes(1)), 1L); // still weighed by the estimate
    int n = 0;
    for (Map.Entry<LimitSpec, Long> e : remainingAfterRelease.entrySet()) {
      LimitSpec spec = e.getKey();
      advanceTo(clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MINUTES).plusSeconds(60));
      Rule rule = Rule.builder("late " + n++).limit(spec).build();
      RateLimiter l = limiter(rule);
      CallContext alice = call("x", "alice");
      Decision.Granted slow = granted(l.acquire(alice)); // a handler that runs long
      advance(clock, Duration.ofSeconds(40)); // others keep the key busy meanwhile
      int early = takeAll(l, alice, 3);
      advance(clock, Duration.ofSeconds(30)); // the slow grant has left the window, its tokens refilled
      int late = takeAll(l, alice, 3);
      assertTrue(early + late > 0, spec + ": the key was kept busy");
      assertEquals(0, remaining(rule, alice), spec.toString());
      slow.release(); // and fails at last
      assertEquals(e.getValue(), remaining(rule, alice), "a late release gives back only what is still counted: " + spec);
    }

    Rule bucket = Rule.builder("bucket").limit(LimitSpec.tokenBucket(2, 2, Duration.ofMinutes(1))).build();
    RateLimiter l = limiter(bucket);
    CallContext bob = call("x", "bob");
    Decision.Granted g = granted(l.acquire(bob));
    advance(clock, Duration.ofSeconds(10));
    g.release();
    assertEquals(2, remaining(bucket, bob), "a release with nothing in between restores a full bucket");
    assertEquals(2, takeAll(l, bob, 3));
  }

  @Test
  void aBookedSlotGivenUpBeforeItBeginsIsGivenBackWhole() {
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    RateLimiter l = limiter(Rule.builder("b").maxWait(Duration.ofMinutes(1))
        .limit(LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(10))).build());
    CallContext c = call("x", "u");
    assertTrue(take(l, c));
    Decision.Granted booked = granted(l.reserve(c, RateLimiter.FIRST_ATTEMPT));
    assertEquals(10 * SECOND, booked.delayNanos());
    advance(clock, Duration.ofSeconds(5));
    booked.release(); // an async caller cancelled while waiting for its slot
    assertEquals(5 * SECOND, granted(l.reserve(c, RateLimiter.FIRST_ATTEMPT)).delayNanos(),
        "the next waiter gets the freed slot, 5 s from now");
  }

  @Test
  void doubleCommitOrReleaseIsHarmless() {
    Rule bucket = Rule.builder("bucket").limit(frozen(3)).build();
    Rule conc = Rule.builder("parallel").limit(LimitSpec.concurrency(3)).build();
    RateLimiter l = limiter(bucket, conc);
    CallContext alice = call("x", "alice");
    Decision.Granted g1 = granted(l.acquire(alice));
    Decision.Granted g2 = granted(l.acquire(alice));
    Decision.Granted g3 = granted(l.acquire(alice));
    assertEquals(0, remaining(bucket, alice));
    assertEquals(0, remaining(conc, alice));

    g1.release();
    g1.release();
    g1.commit();
    assertTrue(g1.isSettled());
    assertEquals(1, remaining(bucket, alice), "refunded once, not twice");
    assertEquals(1, remaining(conc, alice), "one permit freed, not two");

    g2.commit();
    g2.commit();
    g2.release();
    assertTrue(g2.isSettled());
    assertEquals(1, remaining(bucket, alice), "a release after a commit refunds nothing");
    assertEquals(2, remaining(conc, alice), "a commit frees the permit once");

    assertFalse(g3.isSettled());
    g3.commit();
    assertEquals(3, remaining(conc, alice));
    assertEquals(1, takeAll(l, alice, 3));
  }

  @Test
  void grantsWithoutCountersStillSettle() {
    Rule validation = Rule.builder("positive").targets("pay")
        .condition(Condition.of("args.amount", Condition.Op.GT, 0)).build();
    Rule tenantOnly = Rule.builder("tenant").targets("pay").key(KeyResolvers.tenant())
        .onMissingIdentity(MissingIdentity.SKIP).limit(frozen(1)).build();
    RateLimiter l = limiter(validation, tenantOnly);
    List<Decision.Granted> grants = List.of(
        granted(l.acquire(call("unlimited", "alice"))),
        granted(l.acquire(CallContext.tool("pay").user("alice").arguments(Map.of("amount", 5)).build())));
    for (Decision.Granted g : grants) {
      assertEquals(0, g.delayNanos());
      assertTrue(g.shadowDenials().isEmpty());
      assertFalse(g.isSettled());
      g.commit();
      g.release();
      assertTrue(g.isSettled(), "settled after commit: " + g);
    }
  }

  @Test
  void concurrencyPermitsAreFreedByCommitAndByRelease() {
    Rule one = Rule.builder("one at a time").limit(LimitSpec.concurrency(1)).build();
    RateLimiter l = limiter(one);
    CallContext alice = call("run_query", "alice");
    Decision.Granted g = granted(l.acquire(alice));
    Decision.Denied d = denied(l.acquire(alice));
    assertEquals(DenialReason.RATE_LIMITED, d.reason());
    assertEquals(Probe.NEVER, d.retryAfterNanos(), "a permit frees when a call ends, not with time");
    assertNull(d.retryAfter());
    assertNull(d.window());
    assertNull(d.resetAt());
    assertFalse(d.waitable());
    assertEquals(1, d.limit());
    assertTrue(d.message().contains("At most 1 call at a time"), d.message());
    assertTrue(take(l, call("run_query", "bob")), "per user");

    g.commit();
    Decision.Granted g2 = granted(l.acquire(alice));
    g2.release();
    Decision.Granted g3 = granted(l.acquire(alice));
    g3.commit();
    assertEquals(1, remaining(one, alice));
  }

  @Test
  void aConcurrencyPermitTakenByADeniedBatchIsGivenBack() {
    Rule one = Rule.builder("one at a time").limit(LimitSpec.concurrency(1)).build();
    Rule tenant = Rule.builder("tenant").key(KeyResolvers.tenant()).limit(frozen(1)).build();
    RateLimiter l = limiter(one, tenant);
    assertTrue(take(l, call("q", "alice", "t1")));
    assertEquals("tenant", denied(l.acquire(call("q", "alice", "t1"))).rule());
    assertEquals(1, remaining(one, call("q", "alice", "t1")), "the permit of the denied call was given back");
    assertTrue(take(l, call("q", "alice", "t2")));
  }

  // ====================================================================== shadow mode

  @Test
  void shadowRulesNeverDenyButReportWouldBeDenials() {
    Rule trial = Rule.builder("trial").mode(Mode.SHADOW).limit(frozen(2)).build();
    Rule real = Rule.builder("real").limit(frozen(6)).build();
    RateLimiter l = limiter(trial, real);
    CallContext alice = call("x", "alice");
    List<Decision.Granted> grants = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      grants.add(granted(l.acquire(alice)));
    }
    assertTrue(grants.get(1).shadowDenials().isEmpty());
    Decision.Denied wouldBe = grants.get(2).shadowDenials().get(0);
    assertEquals("trial", wouldBe.rule());
    assertEquals(DenialReason.RATE_LIMITED, wouldBe.reason());
    assertEquals(2, wouldBe.limit());
    assertEquals(List.of("trial", "trial", "trial"), events.shadowDenied);
    assertTrue(events.denied.isEmpty(), "nothing was denied");
    assertEquals(5, events.granted.get());
    assertEquals(0, remaining(trial, alice), "a shadow rule counts like an enforced one");

    grants.get(0).release();
    assertEquals(1, remaining(trial, alice), "and is refunded like one");
    grants.forEach(Decision.Granted::commit);
    assertEquals(2, takeAll(l, alice, 5), "enforced rules still deny: 6 - 4 kept");
    assertEquals("real", events.denied.get(events.denied.size() - 1).rule());
  }

  @Test
  void shadowConditionsCostsAndIdentityOnlyReport() {
    Rule cond = Rule.builder("small").mode(Mode.SHADOW).condition(Condition.of("args.n", Condition.Op.LT, 10)).build();
    Rule cost = Rule.builder("weighted").mode(Mode.SHADOW).cost(Cost.fromArgument("args.n")).limit(frozen(100)).build();
    Rule ident = Rule.builder("needs tenant").mode(Mode.SHADOW).key(KeyResolvers.tenant())
        .onMissingIdentity(MissingIdentity.DENY).limit(frozen(100)).build();
    Rule conc = Rule.builder("parallel").mode(Mode.SHADOW).limit(LimitSpec.concurrency(1)).build();
    RateLimiter l = limiter(cond, cost, ident, conc);
    CallContext c = CallContext.tool("x").user("alice").arguments(Map.of("n", "lots")).build();
    Decision.Granted g = granted(l.acquire(c));
    assertEquals(List.of(DenialReason.CONDITION_FAILED, DenialReason.INVALID_COST, DenialReason.MISSING_IDENTITY),
        g.shadowDenials().stream().map(Decision.Denied::reason).toList());
    Decision.Granted g2 = granted(l.acquire(c));
    assertEquals("parallel", g2.shadowDenials().get(g2.shadowDenials().size() - 1).rule(), "a shadow permit is held");
    g.commit();
    g2.commit();
    assertEquals(1, remaining(conc, c), "shadow permits are freed by commit");
  }

  // ====================================================================== missing identity

  @Test
  void sharedAnonymousBucketIsDistinctFromEveryNamedUser() {
    Rule user = Rule.builder("user").limit(frozen(2)).build();
    RateLimiter l = limiter(user);
    assertEquals(2, takeAll(l, call("x", null), 5), "anonymous callers share one bucket");
    assertEquals(0, takeAll(l, CallContext.tool("y").session("s9").client("other").build(), 2),
        "whatever else they carry");
    for (String name : List.of("", "-", "null", "<shared>", "<anonymous>", "*", "\u0000", "0:", "shared")) {
      assertEquals(2, takeAll(l, call("x", name), 3), "a user named '" + name + "' is not anonymous");
    }
    assertEquals(0, takeAll(l, call("x", null), 1));
  }

  @Test
  void sharedAnonymousBucketOfACompositeKey() {
    Rule pair = Rule.builder("pair").key(KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tenant()))
        .limit(frozen(1)).build();
    RateLimiter l = limiter(pair);
    assertTrue(take(l, call("x", "alice", (String) null)), "a missing part makes the whole key missing");
    assertFalse(take(l, call("x", null, "t1")), "and shares the anonymous bucket");
    assertTrue(take(l, call("x", "", "")), "empty parts are not missing");
    assertTrue(take(l, call("x", "alice", "t1")));
  }

  @Test
  void missingIdentityDenyTouchesNoCounter() {
    Rule user = Rule.builder("user").limit(frozen(3)).build();
    Rule tenant = Rule.builder("tenant required").key(KeyResolvers.tenant()).onMissingIdentity(MissingIdentity.DENY)
        .limit(frozen(5)).maxWait(Duration.ofSeconds(5)).build();
    RateLimiter l = limiter(user, tenant);
    CallContext anonymousTenant = call("pay", "alice", (String) null);
    Decision.Denied d = denied(l.acquire(anonymousTenant));
    assertEquals(DenialReason.MISSING_IDENTITY, d.reason());
    assertEquals("tenant required", d.rule());
    assertEquals(List.of("tenant"), d.scope());
    assertEquals(Probe.NEVER, d.retryAfterNanos());
    assertFalse(d.waitable());
    assertTrue(d.message().contains("tenant"), d.message());
    assertEquals(3, remaining(user, anonymousTenant), "the user rule was not charged");
    long before = clock.nanos();
    assertEquals(DenialReason.MISSING_IDENTITY, denied(assertTimeoutPreemptively(Duration.ofSeconds(10),
        () -> l.acquireBlocking(anonymousTenant))).reason());
    assertEquals(before, clock.nanos(), "waiting cannot help: no wait");
    assertEquals(3, takeAll(l, call("pay", "alice", "t1"), 5));
  }

  @Test
  void missingIdentitySkipDropsOnlyThatRule() {
    Rule session = Rule.builder("per session").key(KeyResolvers.session()).onMissingIdentity(MissingIdentity.SKIP)
        .limit(frozen(1)).build();
    Rule user = Rule.builder("user").limit(frozen(4)).build();
    RateLimiter l = limiter(session, user);
    assertEquals(4, takeAll(l, call("x", "alice"), 6), "no session: only the user rule applies");
    CallContext withSession = CallContext.tool("x").user("bob").session("s1").build();
    assertEquals(1, takeAll(l, withSession, 3));
    assertEquals("per session", events.denied.get(events.denied.size() - 1).rule());
  }

  // ====================================================================== keys never collide

  @Test
  void compositeKeysOfAmbiguousPartsNeverShareABucket() {
    Rule pair = Rule.builder("pair").key(KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tenant()))
        .limit(frozen(1)).build();
    RateLimiter l = limiter(pair);
    String[][] pairs = {{"a:b", "c"}, {"a", "b:c"}, {"1:a", "1:b"}, {"1:a1:b", ""}, {"", "1:a1:b"},
        {"a|b", "c"}, {"a", "b|c"}, {"a\u0000b", "c"}, {"a", "b\u0000c"}, {"3:a:b", "c"}, {"", ""}, {"-", ""}};
    for (String[] p : pairs) {
      assertTrue(take(l, call("x", p[0], p[1])), () -> "pair " + Arrays.toString(p) + " shared a bucket");
    }
    for (String[] p : pairs) {
      assertFalse(take(l, call("x", p[0], p[1])), () -> "pair " + Arrays.toString(p) + " has its own bucket");
    }
  }

  private @Nullable LimiterStore propertyStore;
  private @Nullable RateLimiter propertyLimiter;
  private final AtomicLong nonce = new AtomicLong();

  private RateLimiter propertyLimiter() {
    if (propertyLimiter == null) {
      // jqwik runs properties outside JUnit's @BeforeEach: one store per property, shared by its tries
      FakeClock c = FakeClock.create();
      propertyStore = newStore(c);
      KeyResolver key = KeyResolvers.composite(KeyResolvers.attribute("nonce"), KeyResolvers.user(),
          KeyResolvers.tenant());
      propertyLimiter = RateLimiter.builder(RateLimitPolicy.builder()
              .rule(Rule.builder("pair").key(key).limit(frozen(1)).build()).build())
          .clock(c).store(propertyStore).build();
    }
    return propertyLimiter;
  }

  @AfterProperty
  void closePropertyStore() {
    if (propertyStore != null) {
      propertyStore.close();
      propertyStore = null;
      propertyLimiter = null;
    }
  }

  @Provide
  Arbitrary<String> keyParts() {
    return Arbitraries.oneOf(
        Arbitraries.strings().withChars("ab01:|-\u0000").ofMaxLength(6),
        Arbitraries.strings().ofMaxLength(12));
  }

  @Property(tries = 400)
  void compositeKeysOfArbitraryStringsNeverShareABucket(
      @ForAll("keyParts") String user1, @ForAll("keyParts") String tenant1,
      @ForAll("keyParts") String user2, @ForAll("keyParts") String tenant2) {
    Assume.that(!(user1.equals(user2) && tenant1.equals(tenant2)));
    RateLimiter l = propertyLimiter();
    String n = Long.toString(nonce.incrementAndGet()); // a fresh pair of buckets per try
    CallContext first = CallContext.tool("x").attribute("nonce", n).user(user1).tenant(tenant1).build();
    CallContext second = CallContext.tool("x").attribute("nonce", n).user(user2).tenant(tenant2).build();
    assertTrue(take(l, first));
    assertTrue(take(l, second), "(" + user2 + ", " + tenant2 + ") shared the bucket of (" + user1 + ", " + tenant1 + ")");
    assertFalse(take(l, first), "the bucket is real");
  }

  // ====================================================================== costs

  static Stream<Arguments> badCosts() {
    Map<String, @Nullable Object> explicitNull = new HashMap<>();
    explicitNull.put("amount", null);
    return Stream.of(
        Arguments.of("missing", Map.of(), "is missing"),
        Arguments.of("null", explicitNull, "amount"),
        Arguments.of("string", Map.of("amount", "12"), "must be a number"),
        Arguments.of("boolean", Map.of("amount", true), "must be a number"),
        Arguments.of("list", Map.of("amount", List.of(1)), "must be a number"),
        Arguments.of("object", Map.of("amount", Map.of("value", 1)), "must be a number"),
        Arguments.of("NaN", Map.of("amount", Double.NaN), "finite"),
        Arguments.of("infinity", Map.of("amount", Double.POSITIVE_INFINITY), "finite"),
        Arguments.of("negative", Map.of("amount", -1), "negative"),
        Arguments.of("negative fraction", Map.of("amount", -0.5), "negative"),
        Arguments.of("fraction", Map.of("amount", 2.5), "whole"),
        Arguments.of("tiny fraction", Map.of("amount", new BigDecimal("1e-1000000000")), "whole"),
        Arguments.of("1e30", Map.of("amount", 1e30), "too large"),
        Arguments.of("Long.MAX_VALUE + 1", Map.of("amount", new BigDecimal(Long.MAX_VALUE).add(BigDecimal.ONE)), "too large"),
        Arguments.of("2^64", Map.of("amount", BigInteger.TWO.pow(64)), "too large"),
        Arguments.of("1e1000000000", Map.of("amount", new BigDecimal("1e1000000000")), "too large"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badCosts")
  void badArgumentCostsAreDeniedClearlyAndTouchNoCounter(String what, Map<String, ?> args, String expected) {
    Rule count = Rule.builder("calls").limit(frozen(10)).build();
    Rule spend = Rule.builder("spend").key(KeyResolvers.tenant()).cost(Cost.fromArgument("args.amount"))
        .limit(frozen(1000)).build();
    RateLimiter l = limiter(count, spend);
    CallContext ok = call("charge", "u", Map.of("amount", 400));
    assertTrue(take(l, ok));
    CallContext bad = call("charge", "u", args);
    // a huge exponent must not make the engine compute a huge number
    Decision.Denied d = denied(assertTimeoutPreemptively(Duration.ofSeconds(10), () -> l.acquire(bad)));
    assertEquals(DenialReason.INVALID_COST, d.reason());
    assertEquals("spend", d.rule());
    assertTrue(d.message().contains("args.amount") && d.message().contains(expected), d.message());
    assertTrue(d.message().length() < 200, "short enough to show an agent: " + d.message().length());
    assertEquals(Probe.NEVER, d.retryAfterNanos());
    assertFalse(d.waitable());
    assertEquals(600, remaining(spend, ok), "the spend counter was not touched");
    assertEquals(9, remaining(count, ok), "nor the other rule's");
  }

  @Test
  void argumentCostsAreChargedByValue() {
    Rule spend = Rule.builder("spend").key(KeyResolvers.tenant()).cost(Cost.fromArgument("args.order.amount"))
        .limit(frozen(1000)).build();
    Rule rounded = Rule.builder("rounded").key(KeyResolvers.tenant()).cost(Cost.fromArgumentRoundingUp("args.order.amount"))
        .limit(frozen(1000)).build();
    RateLimiter l = limiter(spend);
    RateLimiter r = limiter(rounded);
    CallContext c = call("charge", "u", Map.of());
    for (Object amount : List.<Object>of(100, 200L, 50.0, new BigDecimal("25.000"), BigInteger.valueOf(25), 0)) {
      assertTrue(take(l, call("charge", "u", Map.of("order", Map.of("amount", amount)))), "amount " + amount);
    }
    assertEquals(600, remaining(spend, c));
    assertTrue(take(r, call("charge", "u", Map.of("order", Map.of("amount", 2.1)))));
    assertEquals(997, remaining(rounded, c), "2.1 rounds up to 3");
    assertEquals(DenialReason.INVALID_COST,
        denied(r.acquire(call("charge", "u", Map.of("order", Map.of("amount", -0.1))))).reason());
  }

  @Test
  void costAboveTheLimitIsDeniedForGood() {
    List<LimitSpec> specs = List.of(frozen(3), LimitSpec.fixedWindow(3, WindowUnit.DAY),
        LimitSpec.slidingWindow(3, Duration.ofDays(1)), LimitSpec.exactSlidingWindow(3, Duration.ofDays(1)),
        LimitSpec.concurrency(3));
    for (LimitSpec spec : specs) {
      Rule rule = Rule.builder("r").limit(spec).cost(4).maxWait(Duration.ofHours(1)).build();
      RateLimiter l = limiter(RateLimitPolicy.builder().rule(rule).build());
      CallContext c = call("x", "alice-" + spec.getClass().getSimpleName() + spec.hashCode());
      Decision.Denied d = denied(l.acquire(c));
      assertEquals(DenialReason.INVALID_COST, d.reason(), "a cost that can never fit: " + spec);
      assertEquals(Probe.NEVER, d.retryAfterNanos(), "waiting cannot help: " + spec);
      assertNull(d.retryAfter());
      assertFalse(d.waitable());
      assertEquals(4, d.cost());
      assertNull(d.limit(), "not about a budget");
      assertEquals("Rule 'r': a cost of 4 exceeds the rule's whole limit of 3 and can never be granted", d.message());
      long before = clock.nanos();
      Decision blocking = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> l.acquireBlocking(c));
      assertEquals(Probe.NEVER, denied(blocking).retryAfterNanos());
      assertEquals(before, clock.nanos(), "no wait: " + spec);
      Decision.Denied reserved = denied(l.reserve(c, RateLimiter.FIRST_ATTEMPT));
      assertFalse(reserved.waitable());
      assertEquals(3, remaining(rule, c), "nothing taken: " + spec);
    }
  }

  // ====================================================================== conditions

  static Stream<Arguments> operators() {
    Map<String, Object> none = Map.of();
    return Stream.of(
        Arguments.of(Condition.Op.EQ, "status", "open", Map.of("status", "open"), Map.of("status", "closed")),
        Arguments.of(Condition.Op.EQ, "n", 5, Map.of("n", 5.0), Map.of("n", 6)),
        Arguments.of(Condition.Op.NEQ, "status", "closed", Map.of("status", "open"), Map.of("status", "closed")),
        Arguments.of(Condition.Op.IN, "cur", List.of("usd", "eur"), Map.of("cur", "eur"), Map.of("cur", "gbp")),
        Arguments.of(Condition.Op.NOT_IN, "cur", List.of("gbp"), Map.of("cur", "usd"), Map.of("cur", "gbp")),
        Arguments.of(Condition.Op.LT, "amount", 100, Map.of("amount", 99.5), Map.of("amount", 100)),
        Arguments.of(Condition.Op.LTE, "amount", 50000, Map.of("amount", 50000L), Map.of("amount", 50000.01)),
        Arguments.of(Condition.Op.GT, "amount", 0, Map.of("amount", new BigDecimal("0.01")), Map.of("amount", 0)),
        Arguments.of(Condition.Op.GTE, "amount", 1, Map.of("amount", 1.0), none),
        Arguments.of(Condition.Op.REGEX, "title", "^Bug:", Map.of("title", "Bug: stale"), Map.of("title", "a Bug: x")),
        Arguments.of(Condition.Op.CONTAINS, "tags", "urgent", Map.of("tags", List.of("a", "urgent")), Map.of("tags", List.of("a"))),
        Arguments.of(Condition.Op.CONTAINS, "title", "cache", Map.of("title", "stale cache"), Map.of("title", "stale")),
        Arguments.of(Condition.Op.EXISTS, "dryRun", false, none, Map.of("dryRun", true)),
        Arguments.of(Condition.Op.EXISTS, "repo.owner", true, Map.of("repo", Map.of("owner", "acme")), Map.of("repo", Map.of())));
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("operators")
  void everyOperatorPassesAndFails(Condition.Op op, String path, Object value, Map<String, ?> passing, Map<String, ?> failing) {
    Rule rule = Rule.builder("guarded").condition(Condition.of("args." + path, op, value)).limit(frozen(1)).build();
    RateLimiter l = limiter(rule);
    Decision.Denied d = denied(l.acquire(call("x", "alice", failing)));
    assertEquals(DenialReason.CONDITION_FAILED, d.reason());
    assertEquals("guarded", d.rule());
    assertTrue(d.message().contains("args." + path) && d.message().contains(op.text()), d.message());
    assertEquals(Probe.NEVER, d.retryAfterNanos());
    assertFalse(d.waitable());
    assertEquals(1, remaining(rule, call("x", "alice", failing)), "a failed condition touches no counter");
    assertTrue(take(l, call("x", "alice", passing)));
    assertEquals(0, remaining(rule, call("x", "alice", passing)));
  }

  @Test
  void validationOnlyRulesUseTheirMessageAndTouchNothing() {
    Rule max = Rule.builder("max single charge").targets("charge")
        .condition(Condition.of("args.amount", Condition.Op.LTE, 50000))
        .onDeny("Single charge cannot exceed $500.00").build();
    Rule count = Rule.builder("count").targets("charge").limit(frozen(2)).build();
    RateLimiter l = limiter(max, count);
    Decision.Denied d = denied(l.acquire(call("charge", "u", Map.of("amount", 60000))));
    assertEquals("Single charge cannot exceed $500.00", d.message());
    assertEquals(2, takeAll(l, call("charge", "u", Map.of("amount", 100)), 4));
  }

  // ====================================================================== policy-level denials

  @Test
  void defaultDenyRefusesToolsNoRuleNames() {
    Rule reads = Rule.builder("reads").targets("read").limit(frozen(5)).build();
    Rule global = Rule.builder("global").key(KeyResolvers.tenant()).limit(frozen(10)).build();
    RateLimiter l = limiter(RateLimitPolicy.builder().defaultAction(RateLimitPolicy.DefaultAction.DENY)
        .rule(reads).rule(global).build());
    CallContext write = call("write", "u", "t");
    Decision.Denied d = denied(l.acquire(write));
    assertEquals(DenialReason.NOT_ALLOWED, d.reason());
    assertEquals("default", d.rule());
    assertEquals(Probe.NEVER, d.retryAfterNanos());
    assertTrue(d.message().contains("write"), d.message());
    assertEquals(10, remaining(global, write), "a refused call is not counted");
    assertTrue(take(l, call("read", "u", "t")));
    assertEquals(9, remaining(global, write));
  }

  @Test
  void hiddenToolsAreDeniedEvenWhenRulesNameThem() {
    Rule rule = Rule.builder("deletes").targets("delete_repository").limit(frozen(5)).build();
    RateLimiter l = limiter(RateLimitPolicy.builder().hide("delete_repository").rule(rule).build());
    CallContext c = call("delete_repository", "u");
    Decision.Denied d = denied(l.acquire(c));
    assertEquals(DenialReason.HIDDEN, d.reason());
    assertEquals("hidden", d.rule());
    assertEquals(Probe.NEVER, d.retryAfterNanos());
    assertTrue(l.policy().isHidden("delete_repository"));
    assertEquals(5, remaining(rule, c));
    assertTrue(take(l, call("create_issue", "u")), "other tools are allowed by default");
  }

  // ====================================================================== backoff

  @Test
  void backoffDeniesTheScopeWithRetryAfterUntilTheInstantThenAllows() {
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    Rule user = Rule.builder("user").limit(LimitSpec.tokenBucket(100, 1, Duration.ofSeconds(1))).build();
    RateLimiter l = limiter(user);
    l.backoff(call("github", "u", "acme"), KeyResolvers.tenant(), Duration.ofSeconds(30));
    Decision.Denied d = denied(l.acquire(call("github", "v", "acme")));
    assertEquals(DenialReason.BACKOFF, d.reason());
    assertEquals("backoff", d.rule());
    assertEquals(List.of("tenant"), d.scope());
    assertEquals(30 * SECOND, d.retryAfterNanos());
    assertEquals(clock.instant().plusSeconds(30), d.resetAt());
    assertFalse(d.message().contains("acme"), d.message());
    assertEquals(100, remaining(user, call("github", "v", "acme")), "backed-off calls are not counted");
    assertTrue(take(l, call("github", "v", "other")), "other tenants are not affected");

    advance(clock, Duration.ofSeconds(29));
    assertEquals(SECOND, denied(l.acquire(call("search", "w", "acme"))).retryAfterNanos(), "every tool of the tenant");
    advance(clock, Duration.ofSeconds(1));
    assertTrue(take(l, call("github", "v", "acme")), "allowed from the instant on");
  }

  @Test
  void backoffOfAToolScopeAndOfAnExplicitInstant() {
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    RateLimiter l = limiter(Rule.builder("user").limit(frozen(100)).build());
    l.backoff(KeyResolvers.tool(), "github", clock.instant().plusSeconds(10));
    l.backoff(KeyResolvers.tool(), "github", clock.instant().plusSeconds(5)); // an earlier instant does not shorten it
    assertEquals(10 * SECOND, denied(l.acquire(call("github", "anyone"))).retryAfterNanos());
    assertTrue(take(l, call("gitlab", "anyone")));
    assertThrows(IllegalArgumentException.class, () -> l.backoff(call("github", "u"), KeyResolvers.tool(), Duration.ZERO));
    advance(clock, Duration.ofSeconds(10));
    assertTrue(take(l, call("github", "anyone")));
  }

  @Test
  void backoffOfTheAnonymousScopeIsNotTheScopeOfAnEmptyName() {
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    RateLimiter l = limiter(Rule.builder("user").limit(frozen(100)).build());
    l.backoff(call("github", "u", (String) null), KeyResolvers.tenant(), Duration.ofSeconds(30));
    assertEquals(DenialReason.BACKOFF, denied(l.acquire(call("github", "v", (String) null))).reason(),
        "callers without a tenant share the backed-off anonymous scope");
    assertTrue(take(l, call("github", "v", "")), "a tenant named '' is not anonymous");
    assertTrue(take(l, call("github", "v", "acme")));
  }

  @Test
  void backoffWaitsWhenWithinMaxWaitAndDeniesOtherwise() throws Exception {
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    RateLimiter l = limiter(Rule.builder("user").maxWait(Duration.ofSeconds(5)).limit(frozen(100)).build());
    l.backoff(KeyResolvers.tool(), "github", clock.instant().plusSeconds(3));
    long before = clock.nanos();
    Decision.Denied first = denied(l.reserve(call("github", "u"), RateLimiter.FIRST_ATTEMPT));
    assertTrue(first.waitable(), "3 s is within the 5 s max wait");
    assertFalse(denied(l.acquire(call("github", "u"))).waitable(), "a plain acquire never waits, as for limit denials");
    assertTrue(l.acquireBlocking(call("github", "u")).isGranted());
    assertEquals(3 * SECOND, clock.nanos() - before, "waited exactly until the backoff ended");
    assertEquals(List.of(3 * SECOND), events.waited);

    l.backoff(KeyResolvers.tool(), "github", clock.instant().plusSeconds(8));
    before = clock.nanos();
    Decision.Denied d = denied(l.acquireBlocking(call("github", "u")));
    assertEquals(DenialReason.BACKOFF, d.reason());
    assertFalse(d.waitable());
    assertEquals(8 * SECOND, d.retryAfterNanos());
    assertEquals(before, clock.nanos(), "8 s exceeds the max wait: denied at once");
  }

  // ====================================================================== waiting

  @Test
  void nonBlockingReserveBooksTokenBucketSlotsInOrder() {
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    Rule search = Rule.builder("search").maxWait(Duration.ofSeconds(2)).limit(LimitSpec.tokenBucket(2, 1, Duration.ofSeconds(1))).build();
    RateLimiter l = limiter(search);
    CallContext c = call("search", "u");
    List<Long> delays = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      delays.add(granted(l.reserve(c, RateLimiter.FIRST_ATTEMPT)).delayNanos());
    }
    assertEquals(List.of(0L, 0L, SECOND, 2 * SECOND), delays, "each waiter gets the next slot");
    Decision.Denied d = denied(l.reserve(c, RateLimiter.FIRST_ATTEMPT));
    assertFalse(d.waitable(), "3 s exceeds the 2 s max wait");
    assertEquals(3 * SECOND, d.retryAfterNanos());
    assertEquals(0, granted(l.acquire(call("search", "other"))).delayNanos(), "per user");
    assertTrue(denied(l.acquire(c)).retryAfterNanos() > 0, "acquire never books the future");
  }

  @Test
  void nonBlockingReserveOnAWindowSaysWhenToRetry() {
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    advanceToSecond58();
    RateLimiter l = limiter(Rule.builder("minute").maxWait(Duration.ofSeconds(5)).limit(LimitSpec.fixedWindow(1, WindowUnit.MINUTE)).build());
    CallContext c = call("x", "u");
    assertEquals(0, granted(l.reserve(c, RateLimiter.FIRST_ATTEMPT)).delayNanos());
    long startedAt = clock.nanos();
    Decision.Denied d = denied(l.reserve(c, RateLimiter.FIRST_ATTEMPT));
    assertTrue(d.waitable());
    assertEquals(2 * SECOND, d.retryAfterNanos());
    advance(clock, d.retryAfter());
    assertEquals(0, granted(l.reserve(c, startedAt)).delayNanos(), "granted once the window reset");
    Decision.Denied late = denied(l.reserve(c, clock.nanos() - 4 * SECOND));
    assertFalse(late.waitable(), "60 s exceeds what is left of the max wait");
  }

  @Test
  void blockingWaitersOnATokenBucketAreServedInOrderWithinMaxWait() throws Exception {
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    Rule rule = Rule.builder("b").maxWait(Duration.ofSeconds(5)).limit(LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(1))).build();
    Queue<Long> slept = new ConcurrentLinkedQueue<>();
    RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().rule(rule).build()).clock(clock).store(store)
        .listener(events).sleeper(slept::add).build(); // records, does not move the clock: all wait at once
    Queue<Decision> decisions = new ConcurrentLinkedQueue<>();
    runThreads(8, t -> {
      try {
        decisions.add(l.acquireBlocking(call("x", "u")));
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    List<Long> sorted = new ArrayList<>(slept);
    Collections.sort(sorted);
    assertEquals(List.of(SECOND, 2 * SECOND, 3 * SECOND, 4 * SECOND, 5 * SECOND), sorted,
        "one waiter per slot, in order, none beyond the max wait");
    assertEquals(6, decisions.stream().filter(Decision::isGranted).count());
    for (Decision d : decisions) {
      if (d instanceof Decision.Denied denied) {
        assertEquals(6 * SECOND, denied.retryAfterNanos());
        assertFalse(denied.waitable());
      }
    }
    List<Long> waited = new ArrayList<>(events.waited);
    Collections.sort(waited);
    assertEquals(sorted, waited, "each wait was reported");
  }

  @Test
  void sequentialBlockingWaitsNeverExceedMaxWait() throws Exception {
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    RateLimiter l = limiter(Rule.builder("b").maxWait(Duration.ofSeconds(2)).limit(LimitSpec.tokenBucket(2, 1, Duration.ofSeconds(1))).build());
    long start = clock.nanos();
    for (int i = 0; i < 10; i++) {
      granted(l.acquireBlocking(call("x", "u"))).commit();
    }
    assertEquals(8 * SECOND, clock.nanos() - start, "two at once, then one per second");
    assertEquals(8, events.waited.size());
    assertTrue(events.waited.stream().allMatch(w -> w <= 2 * SECOND), events.waited.toString());

    RateLimiter slow = limiter(Rule.builder("slow").maxWait(Duration.ofSeconds(2)).limit(LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(10))).build());
    assertTrue(take(slow, call("x", "u")));
    long before = clock.nanos();
    Decision.Denied d = denied(slow.acquireBlocking(call("x", "u")));
    assertEquals(before, clock.nanos(), "a 10 s wait exceeds the 2 s max wait: denied without waiting");
    assertEquals(10 * SECOND, d.retryAfterNanos());
  }

  @Test
  void blockingWaitOnAWindowWaitsForTheResetOnlyWithinMaxWait() throws Exception {
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    advanceToSecond58();
    RateLimiter l = limiter(Rule.builder("minute").maxWait(Duration.ofSeconds(5)).limit(LimitSpec.fixedWindow(1, WindowUnit.MINUTE)).build());
    CallContext c = call("x", "u");
    assertTrue(take(l, c));
    assertTrue(l.acquireBlocking(c).isGranted(), "waits 2 s for the next minute");
    assertEquals(at("2026-01-01T00:01:00Z"), clock.instant());
    assertEquals(List.of(2 * SECOND), events.waited);
    Decision.Denied d = denied(l.acquireBlocking(c));
    assertEquals(60 * SECOND, d.retryAfterNanos(), "60 s exceeds the max wait: denied at once");
    assertFalse(d.waitable());
    assertEquals(at("2026-01-01T00:01:00Z"), clock.instant());
  }

  @Test
  void aWindowWaiterOvertakenAtTheResetWaitsAgainButNeverPastMaxWait() throws Exception {
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    for (long maxWaitSeconds : new long[] {65, 61}) {
      advanceToSecond58();
      Rule rule = Rule.builder("minute-" + maxWaitSeconds).maxWait(Duration.ofSeconds(maxWaitSeconds))
          .limit(LimitSpec.fixedWindow(1, WindowUnit.MINUTE)).build();
      AtomicBoolean overtaken = new AtomicBoolean();
      RateLimiter[] holder = new RateLimiter[1];
      RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().rule(rule).build()).clock(clock).store(store)
          .sleeper(nanos -> {
            advance(clock, Duration.ofNanos(nanos));
            if (overtaken.compareAndSet(false, true)) {
              assertTrue(take(holder[0], call("x", "u")), "another caller takes the fresh window first");
            }
          }).build();
      holder[0] = l;
      assertTrue(take(l, call("x", "u")));
      long start = clock.nanos();
      Decision d = l.acquireBlocking(call("x", "u"));
      long waited = clock.nanos() - start;
      assertTrue(waited <= Duration.ofSeconds(maxWaitSeconds).toNanos(), "waited " + waited);
      if (maxWaitSeconds == 65) {
        assertTrue(d.isGranted(), "2 s + 60 s fit in 65 s");
        assertEquals(62 * SECOND, waited);
      } else {
        assertFalse(d.isGranted(), "2 s + 60 s do not fit in 61 s");
        assertEquals(2 * SECOND, waited);
      }
    }
  }

  @Test
  void anInterruptedWaitReleasesItsSlotAndThrows() {
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    Rule rule = Rule.builder("b").maxWait(Duration.ofSeconds(5)).limit(LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(1))).build();
    RateLimitPolicy policy = RateLimitPolicy.builder().rule(rule).build();
    RateLimiter l = RateLimiter.builder(policy).clock(clock).store(store).listener(events)
        .sleeper(n -> {
          throw new InterruptedException("interrupted while waiting");
        }).build();
    CallContext c = call("x", "u");
    assertTrue(take(l, c));
    assertThrows(InterruptedException.class, () -> l.acquireBlocking(c));
    assertEquals(SECOND, granted(l.reserve(c, RateLimiter.FIRST_ATTEMPT)).delayNanos(),
        "the interrupted waiter's slot was released: the next waiter gets it");
    assertTrue(events.waited.isEmpty());
  }

  @Test
  void anInterruptedWindowWaitHoldsNothingAndAnInterruptedThreadDoesNotWait() {
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    advanceToSecond58();
    Rule rule = Rule.builder("minute").maxWait(Duration.ofSeconds(5)).limit(LimitSpec.fixedWindow(1, WindowUnit.MINUTE)).build();
    RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().rule(rule).build()).clock(clock).store(store)
        .sleeper(n -> {
          throw new InterruptedException();
        }).build();
    CallContext c = call("x", "u");
    assertTrue(take(l, c));
    assertThrows(InterruptedException.class, () -> l.acquireBlocking(c));
    advance(clock, Duration.ofSeconds(2));
    assertEquals(1, remaining(rule, c), "the interrupted caller holds nothing in the new window");

    Thread.currentThread().interrupt();
    try {
      assertThrows(InterruptedException.class, () -> l.acquireBlocking(c));
    } finally {
      Thread.interrupted();
    }
    assertEquals(1, remaining(rule, c), "an interrupted thread takes nothing");
  }

  // ====================================================================== listeners, failures

  @Test
  void listenerExceptionsNeverBreakACall() throws Exception {
    RateLimitListener angry = new RateLimitListener() {
      @Override
      public void onGranted(CallContext call, Decision.Granted decision) {
        throw new IllegalStateException("boom");
      }

      @Override
      public void onDenied(CallContext call, Decision.Denied denial) {
        throw new IllegalStateException("boom");
      }

      @Override
      public void onShadowDenied(CallContext call, Decision.Denied wouldBe) {
        throw new IllegalStateException("boom");
      }

      @Override
      public void onWaited(CallContext call, long waitedNanos) {
        throw new IllegalStateException("boom");
      }

      @Override
      public void onEvicted(String rule) {
        throw new IllegalStateException("boom");
      }

      @Override
      public void onStoreError(Throwable error) {
        throw new IllegalStateException("boom");
      }
    };
    // refills during the test only where time is the fake clock's
    LimitSpec bucket = storeUsesInjectedClock() ? LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(1)) : frozen(1);
    RateLimitPolicy policy = RateLimitPolicy.builder()
        .rule(Rule.builder("b").maxWait(Duration.ofSeconds(1)).limit(bucket).build())
        .rule(Rule.builder("s").mode(Mode.SHADOW).limit(frozen(1)).build())
        .build();
    RateLimiter l = RateLimiter.builder(policy).clock(clock).store(store).listener(angry).listener(events)
        .sleeper(n -> advance(clock, Duration.ofNanos(n))).build();
    CallContext c = call("x", "u");
    assertTrue(take(l, c));
    assertEquals(1, events.granted.get(), "the next listener still hears every event");
    assertFalse(l.acquire(c).isGranted());
    assertEquals(1, events.denied.size());
    if (storeUsesInjectedClock()) {
      assertTrue(l.acquireBlocking(c).isGranted(), "waited, with a shadow denial, despite the listener");
      assertEquals(List.of(SECOND), events.waited);
      assertEquals(1, events.shadowDenied.size());
    }

    RateLimiter failing = RateLimiter.builder(policy).clock(clock).store(failingStore(b -> true))
        .listener(angry).listener(events).build();
    assertTrue(failing.acquire(c).isGranted());
    assertEquals(1, events.storeErrors.size());
  }

  @Test
  void storeFailureFailsOpenOrClosedAndIsReported() {
    for (RateLimitPolicy.FailureMode mode : RateLimitPolicy.FailureMode.values()) {
      Recorder seen = new Recorder();
      RateLimitPolicy policy = RateLimitPolicy.builder().failureMode(mode)
          .rule(Rule.builder("b").limit(frozen(1)).build()).build();
      RateLimiter l = RateLimiter.builder(policy).clock(clock).store(failingStore(b -> true)).listener(seen).build();
      Decision d = l.acquire(call("x", "u"));
      assertEquals(1, seen.storeErrors.size(), mode.toString());
      assertEquals("store down", seen.storeErrors.get(0).getMessage());
      if (mode == RateLimitPolicy.FailureMode.FAIL_OPEN) {
        Decision.Granted g = granted(d);
        g.commit();
        g.release();
        assertTrue(g.isSettled());
        assertEquals(1, seen.granted.get());
      } else {
        Decision.Denied denied = denied(d);
        assertEquals(DenialReason.STORE_UNAVAILABLE, denied.reason());
        assertEquals("store", denied.rule());
        assertEquals(List.of(), denied.scope());
        assertFalse(denied.message().isBlank());
        assertEquals(List.of(denied), seen.denied);
      }
    }
  }

  @Test
  void aShadowStoreFailureIsReportedButInventsNoDenials() {
    Rule real = Rule.builder("real").limit(frozen(5)).build();
    Rule shadow = Rule.builder("shadowy").mode(Mode.SHADOW).limit(frozen(5)).build();
    LimiterStore flaky = failingStore(b -> b.rule(0).equals("shadowy"));
    RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().rule(real).rule(shadow).build())
        .clock(clock).store(flaky).listener(events).build();
    CallContext c = call("x", "u");
    Decision.Granted g = granted(l.acquire(c));
    assertEquals(1, events.storeErrors.size());
    assertTrue(g.shadowDenials().isEmpty(), "a failed shadow check is not a would-be denial: " + g.shadowDenials());
    assertTrue(events.shadowDenied.isEmpty());
    g.release();
    assertEquals(5, remaining(real, c));
  }

  /** The real store, except that {@code acquire} throws for batches that {@code fails} selects. */
  private LimiterStore failingStore(java.util.function.Predicate<Batch> fails) {
    LimiterStore real = store;
    return new LimiterStore() {
      @Override
      public @Nullable Ticket acquire(Batch batch) {
        if (fails.test(batch)) {
          throw new IllegalStateException("store down");
        }
        return real.acquire(batch);
      }

      @Override
      public long keyCount() {
        return real.keyCount();
      }
    };
  }

  // ====================================================================== denial fields

  @Test
  void denialCarriesEveryFieldAndTheLargestRetryAfter() {
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    advanceTo(at("2026-01-01T14:20:00Z"));
    Rule minute = Rule.builder("minute").targets("create_issue").limit(LimitSpec.fixedWindow(5, WindowUnit.MINUTE)).build();
    Rule hourly = Rule.builder("hourly issue limit").targets("create_issue")
        .key(KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tool()))
        .limit(LimitSpec.fixedWindow(5, WindowUnit.HOUR)).onDeny("Hourly limit of 5 new issues reached").build();
    for (List<Rule> order : List.of(List.of(hourly, minute), List.of(minute, hourly))) {
      store.close();
      store = newStore(clock);
      RateLimiter l = limiter(RateLimitPolicy.builder().rules(order).build());
      CallContext c = call("create_issue", "alice-secret", "acme-secret");
      assertEquals(5, takeAll(l, c, 5));
      Decision.Denied d = denied(l.acquire(c));
      Rule first = order.get(0);
      assertEquals(DenialReason.RATE_LIMITED, d.reason());
      assertEquals(first.name(), d.rule(), "the first denying rule is reported");
      assertEquals(first.key().dimensions(), d.scope());
      assertEquals(5, d.limit());
      assertEquals(first == hourly ? Duration.ofHours(1) : Duration.ofMinutes(1), d.window());
      assertEquals(0, d.remaining());
      assertEquals(1, d.cost());
      assertEquals(Duration.ofMinutes(40).toNanos(), d.retryAfterNanos(), "the largest over both denying rules");
      assertEquals(first == hourly ? at("2026-01-01T15:00:00Z") : at("2026-01-01T14:21:00Z"), d.resetAt());
      if (first == hourly) {
        assertEquals("Hourly limit of 5 new issues reached", d.message());
      } else {
        assertTrue(d.message().contains("5 per minute per user") && d.message().contains("'minute'"), d.message());
      }
      assertFalse(d.toString().contains("secret"), "a denial carries no identity values: " + d);
    }
  }

  @Test
  void aDenialHasNoRetryAfterWhenAnyDenyingRuleCannotBeWaitedFor() {
    Rule bucket = Rule.builder("bucket").limit(frozen(1)).maxWait(Duration.ofSeconds(5)).build();
    Rule one = Rule.builder("one at a time").limit(LimitSpec.concurrency(1)).maxWait(Duration.ofSeconds(5)).build();
    RateLimiter l = limiter(bucket, one);
    Decision.Granted held = granted(l.acquire(call("x", "alice")));
    Decision.Denied d = denied(l.reserve(call("x", "alice"), RateLimiter.FIRST_ATTEMPT));
    assertEquals("bucket", d.rule());
    assertEquals(Probe.NEVER, d.retryAfterNanos(), "the permit frees when a call ends: no time can be promised");
    assertFalse(d.waitable());
    held.commit();
  }

  @Test
  void tokenBucketDenialFields() {
    assumeTrue(storeUsesInjectedClock(), NEEDS_INJECTED_CLOCK);
    Rule search = Rule.builder("search").cost(4).limit(LimitSpec.tokenBucket(10, 5, Duration.ofSeconds(1))).build();
    RateLimiter l = limiter(search);
    CallContext c = call("search", "alice");
    assertEquals(2, takeAll(l, c, 2));
    Decision.Denied d = denied(l.acquire(c));
    assertEquals(10, d.limit());
    assertEquals(Duration.ofSeconds(2), d.window(), "the time to refill from empty");
    assertEquals(2, d.remaining());
    assertEquals(4, d.cost());
    assertEquals(400_000_000L, d.retryAfterNanos(), "two more tokens at 200 ms each");
    assertEquals(clock.instant().plusMillis(1600), d.resetAt(), "full again when the 8 taken are back");
    assertEquals(List.of("user"), d.scope());
    assertTrue(d.message().contains("burst of 10") && d.message().contains("per user") && d.message().contains("'search'"),
        d.message());
    advance(clock, Duration.ofMillis(400));
    assertTrue(take(l, c), "retry-after is exact");
  }

  // ====================================================================== hardening (issue 15, h15-core)
  // Hostile input and refund arithmetic, the same on every store. Each case failed on the code
  // before it: see docs/security.md.

  /** 2^53 + 1: a whole number a double (a Lua number) cannot hold. */
  private static final long UNREPRESENTABLE = (1L << 53) + 1;

  @Test
  void aCostNoStoreCanRepresentIsAnInvalidCostDenialThatCountsNothing() {
    // a daily spend quota weighted by an argument, under the default FAIL_OPEN: a cost the store
    // cannot hold must never become a fail-open grant that counts nothing
    Rule quota = Rule.builder("daily spend").key(KeyResolvers.tenant())
        .limit(LimitSpec.fixedWindow(1_000_000, WindowUnit.DAY)).cost(Cost.fromArgument("amount")).build();
    RateLimiter l = limiter(quota);
    CallContext hostile = call("charge", "u", Map.of("amount", UNREPRESENTABLE));
    Decision.Denied d = denied(l.acquire(hostile));
    assertEquals(DenialReason.INVALID_COST, d.reason());
    assertEquals("Rule 'daily spend': a cost of 9007199254740993 exceeds the rule's whole limit of 1000000 and can"
        + " never be granted", d.message(), "the same text on every store");
    assertNull(d.remaining(), "not about a budget");
    assertTrue(events.storeErrors.isEmpty(), "decided before any store was called: " + events.storeErrors);
    assertEquals(1_000_000, remaining(quota, hostile), "nothing counted");
    assertTrue(take(l, call("charge", "u", Map.of("amount", 5))));
    assertEquals(999_995, remaining(quota, hostile), "the quota still counts");
  }

  @Test
  void aRuleWhoseLimitTheStoreCannotRepresentIsRejectedWhenTheLimiterIsBuilt() {
    assumeTrue(store.maxCost() < Long.MAX_VALUE, "the store represents every long");
    Rule huge = Rule.builder("huge").limit(LimitSpec.slidingWindow(store.maxCost() + 1, Duration.ofDays(1))).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> limiter(huge));
    assertTrue(e.getMessage().contains("rule 'huge'") && e.getMessage().contains(Long.toString(store.maxCost())),
        e.getMessage());
  }

  private static final long DAY = TimeUnit.DAYS.toNanos(1);
  private @Nullable LimiterStore refundStore;
  private @Nullable RateLimiter refundLimiter;
  private @Nullable FakeClock refundClock;
  private final Rule refundRule = Rule.builder("refunds").limit(LimitSpec.tokenBucket(1000, 1, Duration.ofDays(1)))
      .cost(Cost.fromArgument("n")).build();

  private RateLimiter refundLimiter() {
    if (refundLimiter == null) {
      refundClock = FakeClock.create();
      refundStore = newStore(refundClock);
      refundLimiter = RateLimiter.builder(RateLimitPolicy.builder().rule(refundRule).build())
          .clock(refundClock).store(refundStore).build();
    }
    return refundLimiter;
  }

  @AfterProperty
  void closeRefundStore() {
    if (refundStore != null) {
      refundStore.close();
      refundStore = null;
      refundLimiter = null;
    }
  }

  /** One step: {kind (0 acquire, 1 commit, 2 release), cost or index, clock step in nanos}. */
  @Provide
  Arbitrary<List<long[]>> bucketSteps() {
    Arbitrary<long[]> step = net.jqwik.api.Combinators.combine(
            Arbitraries.longs().between(0, 2), Arbitraries.longs().between(1, 40),
            Arbitraries.longs().between(0, DAY / 50))
        .as((k, n, t) -> new long[] {k, n, t});
    return step.list().ofMinSize(1).ofMaxSize(40); // 40 steps of < DAY/50: less than one token's refill
  }

  @Property(tries = 150)
  void tokenBucketRefundsLeaveExactlyCapacityLessCommitted(@ForAll("bucketSteps") List<long[]> steps) {
    RateLimiter l = refundLimiter();
    FakeClock c = Objects.requireNonNull(refundClock);
    String user = "refund-" + nonce.incrementAndGet(); // a fresh bucket per try
    List<Decision.Granted> open = new ArrayList<>();
    List<Long> costs = new ArrayList<>();
    long committed = 0;
    for (long[] st : steps) {
      if (st[0] == 0) {
        Decision d = l.acquire(CallContext.tool("x").user(user).arguments(Map.of("n", st[1])).build());
        if (d instanceof Decision.Granted g) {
          open.add(g);
          costs.add(st[1]);
        }
      } else if (!open.isEmpty()) {
        int i = (int) (st[1] % open.size());
        Decision.Granted g = open.remove(i);
        long cost = costs.remove(i);
        if (st[0] == 1) {
          g.commit();
          committed += cost;
        } else {
          g.release();
        }
      }
      advance(c, Duration.ofNanos(st[2]));
    }
    for (Decision.Granted g : open) {
      g.release();
    }
    assertEquals(1000 - committed, peek(Objects.requireNonNull(refundStore), c.nanos(), refundRule, user),
        "a refund gives back exactly what it took while less than one token refilled");
  }

  // ====================================================================== end of hardening (h15-core)

  // ====================================================================== plumbing

  /** Runs {@code body(threadIndex)} on {@code n} threads started together; rethrows the first failure. */
  protected static void runThreads(int n, ThreadBody body) throws InterruptedException {
    CountDownLatch start = new CountDownLatch(1);
    Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < n; t++) {
      int index = t;
      Thread th = new Thread(() -> {
        try {
          start.await();
          body.run(index);
        } catch (Throwable e) {
          failures.add(e);
        }
      }, "store-contract-" + t);
      th.start();
      threads.add(th);
    }
    start.countDown();
    for (Thread th : threads) {
      th.join(TimeUnit.SECONDS.toMillis(60));
      if (th.isAlive()) {
        fail(th.getName() + " did not finish");
      }
    }
    if (!failures.isEmpty()) {
      AssertionError e = new AssertionError("a thread failed", failures.peek());
      failures.stream().skip(1).forEach(e::addSuppressed);
      throw e;
    }
  }

  /** The body of one of {@link #runThreads}'s threads. */
  @FunctionalInterface
  protected interface ThreadBody {
    void run(int threadIndex) throws Exception;
  }

  /** A listener recording every event, thread-safe. */
  public static final class Recorder implements RateLimitListener {
    public final AtomicInteger granted = new AtomicInteger();
    public final List<Decision.Denied> denied = new CopyOnWriteArrayList<>();
    public final List<String> shadowDenied = new CopyOnWriteArrayList<>();
    public final List<Long> waited = new CopyOnWriteArrayList<>();
    public final Map<String, AtomicLong> evicted = new ConcurrentHashMap<>();
    public final List<Throwable> storeErrors = new CopyOnWriteArrayList<>();

    @Override
    public void onGranted(CallContext call, Decision.Granted decision) {
      granted.incrementAndGet();
    }

    @Override
    public void onDenied(CallContext call, Decision.Denied denial) {
      denied.add(denial);
    }

    @Override
    public void onShadowDenied(CallContext call, Decision.Denied wouldBe) {
      shadowDenied.add(wouldBe.rule());
    }

    @Override
    public void onWaited(CallContext call, long waitedNanos) {
      waited.add(waitedNanos);
    }

    @Override
    public void onEvicted(String rule) {
      evicted.computeIfAbsent(rule, r -> new AtomicLong()).incrementAndGet();
    }

    @Override
    public void onStoreError(Throwable error) {
      storeErrors.add(error);
    }

    /** @return live evictions reported, over all rules */
    public long evictions() {
      return evicted.values().stream().mapToLong(AtomicLong::get).sum();
    }
  }
}
