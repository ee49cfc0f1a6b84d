package dev.mcpratelimit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Cost;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.spi.LimiterStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Store contract, part of {@link StoreContract}: Hostile input and refund arithmetic, the same on every store.
 */
public abstract class HostileInputContract extends DenialFieldsContract {
  // Hostile input and refund arithmetic, the same on every store. Each case failed on the code
  // before it: see docs/security.md.

  /** 2^53 + 1: a whole number a double (a Lua number) cannot hold. */
  private static final long UNREPRESENTABLE = (1L << 53) + 1;

  @Test
  void aCostNoStoreCanRepresentIsAnInvalidCostDenialThatCountsNothing() {
    // a daily spend quota weighted by an argument, under the default FAIL_OPEN: a cost the store
    // cannot hold must never become a fail-open grant that counts nothing
    Rule quota = Rule.builder("daily spend").key(KeyResolvers.tenant())
        .limit(LimitSpec.calendarWindow(1_000_000, WindowUnit.DAY)).cost(Cost.fromArgument("amount")).build();
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
  void aRuleIsRejectedWhenBuiltExactlyWhenItsLimitIsBeyondWhatTheStoreRepresents() {
    if (store.maxCost() == Long.MAX_VALUE) {
      // nothing is beyond such a store: the largest limit builds
      assertNotNull(limiter(Rule.builder("huge").limit(LimitSpec.slidingWindow(Long.MAX_VALUE, Duration.ofDays(1))).build()));
      return;
    }
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
}
