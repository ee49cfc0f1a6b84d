package dev.mcpratelimit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.internal.seam.AsyncEngine;
import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Condition;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.MissingIdentity;
import dev.mcpratelimit.spi.Probe;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * Store contract, part of {@link StoreContract}: Reservations: commit keeps, release refunds exactly, permits come back.
 */
public abstract class RefundContract extends AtomicityContract {
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
    List<LimitSpec> specs = List.of(frozen(5), LimitSpec.calendarWindow(5, WindowUnit.DAY),
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
    // limit 2 per minute; a slow call at :00, others at :40 and at :70, then the slow call fails
    Map<LimitSpec, Long> remainingAfterRelease = new java.util.LinkedHashMap<>();
    remainingAfterRelease.put(LimitSpec.tokenBucket(2, 2, Duration.ofMinutes(1)), 0L); // its tokens had refilled
    remainingAfterRelease.put(LimitSpec.calendarWindow(2, WindowUnit.MINUTE), 0L); // its window is over
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
    RateLimiter l = limiter(Rule.builder("b").maxWait(Duration.ofMinutes(1))
        .limit(LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(10))).build());
    CallContext c = call("x", "u");
    assertTrue(take(l, c));
    Decision.Granted booked = granted(AsyncEngine.of(l).reserve(c, AsyncEngine.FIRST_ATTEMPT));
    assertEquals(10 * SECOND, booked.delayNanos());
    advance(clock, Duration.ofSeconds(5));
    booked.release(); // an async caller cancelled while waiting for its slot
    assertEquals(5 * SECOND, granted(AsyncEngine.of(l).reserve(c, AsyncEngine.FIRST_ATTEMPT)).delayNanos(),
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
}
