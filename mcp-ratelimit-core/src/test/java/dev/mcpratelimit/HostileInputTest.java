package dev.mcpratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine attacked as a hostile caller would (issue 15): values no store can hold, keys that
 * grow memory, number forms and control characters that split or merge buckets, denials that
 * misreport budgets, and clocks that jump. Each case failed on the code before its fix.
 */
class HostileInputTest {
  private final FakeClock clock = FakeClock.create();
  private final List<Throwable> storeErrors = new ArrayList<>();
  private final RateLimitListener errors = new RateLimitListener() {
    @Override
    public void onStoreError(Throwable error) {
      storeErrors.add(error);
    }
  };

  private RateLimiter limiter(LimiterStore store, RateLimitPolicy policy) {
    return RateLimiter.builder(policy).clock(clock).store(store).listener(errors).build();
  }

  private RateLimiter limiter(Rule... rules) {
    return limiter(LimiterStore.inMemory(1000, clock), RateLimitPolicy.builder().rules(List.of(rules)).build());
  }

  private static Decision.Denied denied(Decision d) {
    return assertInstanceOf(Decision.Denied.class, d, () -> "expected a denial, got " + d);
  }

  private static boolean take(RateLimiter l, CallContext c) {
    if (l.acquire(c) instanceof Decision.Granted g) {
      g.commit();
      return true;
    }
    return false;
  }

  /** A store holding costs up to 2^53 - 1 (as Redis does), counting the batches it is asked. */
  private static final class NarrowStore implements LimiterStore {
    final LimiterStore inner;
    final AtomicInteger calls = new AtomicInteger();

    NarrowStore(Clock clock) {
      inner = LimiterStore.inMemory(1000, clock);
    }

    @Override
    public @Nullable Ticket acquire(Batch batch) {
      calls.incrementAndGet();
      for (int i = 0; i < batch.size(); i++) {
        if (batch.cost(i) > maxCost()) {
          throw new IllegalArgumentException("cost must be at most 2^53 - 1");
        }
      }
      return inner.acquire(batch);
    }

    @Override
    public long maxCost() {
      return (1L << 53) - 1;
    }
  }

  // ---------------------------------------------------------------- 15.1 invalid input is a denial

  @Test
  void aStoreRefusingAValueIsADenialNotAFailOpenGrant() {
    LimiterStore refusing = new LimiterStore() {
      @Override
      public @Nullable Ticket acquire(Batch batch) {
        throw new IllegalArgumentException("cannot hold that");
      }
    };
    Rule r = Rule.builder("spend").limit(LimitSpec.calendarWindow(1_000_000, WindowUnit.DAY))
        .cost(Cost.fromArgument("amount")).build();
    RateLimiter l = limiter(refusing, RateLimitPolicy.builder().rule(r).build()); // FAIL_OPEN by default
    Decision.Denied d = denied(l.acquire(CallContext.tool("x").user("u").arguments(Map.of("amount", 5)).build()));
    assertEquals(DenialReason.INVALID_COST, d.reason(), "an IllegalArgumentException is not an outage");
    assertEquals(1, storeErrors.size(), "still reported to the operator");
  }

  @Test
  void aCostAboveTheStoresMaximumNeverReachesTheStore() {
    NarrowStore narrow = new NarrowStore(clock);
    Rule r = Rule.builder("spend").limit(LimitSpec.slidingWindow(narrow.maxCost(), Duration.ofDays(1)))
        .cost(Cost.fromArgument("amount")).build();
    RateLimiter l = limiter(narrow, RateLimitPolicy.builder().rule(r).build());
    Decision.Denied d = denied(l.acquire(CallContext.tool("x").user("u")
        .arguments(Map.of("amount", BigInteger.TWO.pow(53).add(BigInteger.ONE))).build()));
    assertEquals(DenialReason.INVALID_COST, d.reason());
    assertEquals(0, narrow.calls.get(), "decided before the store");
    assertTrue(storeErrors.isEmpty());
  }

  @Test
  void aLimitAboveTheStoresMaximumIsRejectedAtBuildAndOnUpdate() {
    NarrowStore narrow = new NarrowStore(clock);
    Rule huge = Rule.builder("huge").limit(LimitSpec.slidingWindow(1L << 53, Duration.ofDays(1))).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> limiter(narrow, RateLimitPolicy.builder().rule(huge).build()));
    assertTrue(e.getMessage().contains("rule 'huge'") && e.getMessage().contains("9007199254740991"), e.getMessage());
    RateLimiter ok = limiter(narrow, RateLimitPolicy.builder()
        .rule(Rule.builder("small").limit(LimitSpec.calendarWindow(5, WindowUnit.DAY)).build()).build());
    assertThrows(IllegalArgumentException.class, () -> ok.updatePolicy(RateLimitPolicy.builder().rule(huge).build()));
    assertEquals("small", ok.policy().rules().get(0).name(), "the old policy stays");
  }

  // ---------------------------------------------------------------- 15.5 key length

  @Test
  void aKeyValueLongerThanTheBoundIsDeniedAndStoresNothing() {
    LimiterStore store = LimiterStore.inMemory(1000, clock);
    Rule perUser = Rule.builder("per user").limit(LimitSpec.calendarWindow(5, WindowUnit.DAY)).build();
    RateLimiter l = limiter(store, RateLimitPolicy.builder().rule(perUser).build());
    String longId = "u".repeat(RateLimiter.DEFAULT_MAX_KEY_PART_LENGTH + 1);
    Decision.Denied d = denied(l.acquire(CallContext.tool("x").user(longId).build()));
    assertEquals(DenialReason.INVALID_KEY, d.reason());
    assertEquals("Rule 'per user': the call's user is 257 characters long; a key value may have at most 256",
        d.message(), "names what was wrong, never the value");
    assertEquals(0, store.keyCount(), "nothing stored");
    assertTrue(take(l, CallContext.tool("x").user("u".repeat(256)).build()), "256 characters are fine");
  }

  @Test
  void theKeyBoundIsConfigurableAndAppliesToArgumentsAndEachPartOfACompositeKey() {
    Rule byRepo = Rule.builder("repo").key(KeyResolvers.argument("repo")).limit(LimitSpec.calendarWindow(5, WindowUnit.DAY))
        .build();
    Rule byPair = Rule.builder("pair").key(KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tenant()))
        .limit(LimitSpec.calendarWindow(5, WindowUnit.DAY)).build();
    RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().rule(byRepo).rule(byPair).build()).clock(clock)
        .maxKeyPartLength(10).build();
    assertEquals(DenialReason.INVALID_KEY, denied(l.acquire(CallContext.tool("x").user("u").tenant("t")
        .arguments(Map.of("repo", "r".repeat(11))).build())).reason());
    assertTrue(take(l, CallContext.tool("x").user("u".repeat(10)).tenant("t".repeat(10))
        .arguments(Map.of("repo", "r".repeat(10))).build()), "each composite value may be 10 long");
    assertThrows(IllegalArgumentException.class, () -> RateLimiter.builder(RateLimitPolicy.builder().build())
        .maxKeyPartLength(0));
  }

  // ---------------------------------------------------------------- 15.6 numbers by value

  @Test
  void argumentKeysOfTheSameNumberShareOneBucketWhateverItsForm() {
    Rule perId = Rule.builder("per id").key(KeyResolvers.argument("id")).limit(LimitSpec.calendarWindow(1, WindowUnit.DAY))
        .build();
    RateLimiter l = limiter(perId);
    assertTrue(take(l, CallContext.tool("x").arguments(Map.of("id", 5)).build()));
    for (Object form : List.of(5.0, new BigDecimal("5.00"), new BigDecimal("5e0"), 5L, 5.0f, BigInteger.valueOf(5),
        "5", new BigDecimal("0.5e1"))) {
      assertEquals(DenialReason.RATE_LIMITED,
          denied(l.acquire(CallContext.tool("x").arguments(Map.of("id", form)).build())).reason(),
          form + " (" + form.getClass().getSimpleName() + ") is 5's bucket");
    }
    assertTrue(take(l, CallContext.tool("x").arguments(Map.of("id", 5.5)).build()), "5.5 is another value");
    assertTrue(take(l, CallContext.tool("x").arguments(Map.of("id", new BigDecimal("1e1000000000"))).build()),
        "a huge exponent is keyed without being expanded");
    assertEquals(DenialReason.RATE_LIMITED, denied(l.acquire(CallContext.tool("x")
        .arguments(Map.of("id", new BigDecimal("10e999999999"))).build())).reason(), "the same huge value");
  }

  // ---------------------------------------------------------------- 15.7 control characters

  @ParameterizedTest
  @ValueSource(strings = {"r\u0000x", "r\nx", "r\u007fx", "\u001b[31mred"})
  void ruleNamesWithControlCharactersAreRejected(String name) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rule.builder(name));
    assertTrue(e.getMessage().startsWith("rule name '") && e.getMessage().contains("control character U+"),
        e.getMessage());
  }

  @Test
  void attributeNamesWithControlCharactersAreRejected() {
    // rule "r\0x" keyed [user] and rule "r" keyed attr."x\0user" shared one counter
    assertThrows(IllegalArgumentException.class, () -> KeyResolvers.attribute("x\u0000user"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> KeyResolvers.named("attr.x\u0000user"));
    assertTrue(e.getMessage().contains("attribute name 'x\\u0000user'"), e.getMessage());
    KeyResolver sneaky = new KeyResolver() {
      @Override
      public @Nullable String resolve(CallContext call) {
        return "v";
      }

      @Override
      public List<String> dimensions() {
        return List.of("x\u0000user");
      }
    };
    assertThrows(IllegalArgumentException.class, () -> Rule.builder("r").key(sneaky)
        .limit(LimitSpec.calendarWindow(1, WindowUnit.DAY)).build());
  }

  // ---------------------------------------------------------------- 15.9 denials that never lie

  @Test
  void denialsNotAboutABudgetCarryNoBudgetFields() {
    Rule spend = Rule.builder("spend").targets("pay").limit(LimitSpec.calendarWindow(100, WindowUnit.DAY))
        .cost(Cost.fromArgument("amount")).build();
    Rule cond = Rule.builder("small").targets("search").limit(LimitSpec.calendarWindow(100, WindowUnit.DAY))
        .condition(Condition.of("args.n", Condition.Op.LTE, 10)).build();
    Rule strict = Rule.builder("needs tenant").targets("admin").key(KeyResolvers.tenant())
        .onMissingIdentity(MissingIdentity.DENY).limit(LimitSpec.calendarWindow(100, WindowUnit.DAY)).build();
    RateLimiter l = limiter(LimiterStore.inMemory(1000, clock), RateLimitPolicy.builder().rule(spend).rule(cond)
        .rule(strict).hide("secret").build());
    List<Decision.Denied> denials = List.of(
        denied(l.acquire(CallContext.tool("pay").user("u").arguments(Map.of("amount", "lots")).build())),
        denied(l.acquire(CallContext.tool("pay").user("u").arguments(Map.of("amount", 101)).build())),
        denied(l.acquire(CallContext.tool("search").user("u").arguments(Map.of("n", 11)).build())),
        denied(l.acquire(CallContext.tool("admin").user("u").build())),
        denied(l.acquire(CallContext.tool("secret").user("u").build())));
    for (Decision.Denied d : denials) {
      assertNull(d.limit(), d.toString());
      assertNull(d.remaining(), d.toString());
      assertNull(d.window(), d.toString());
      assertNull(d.resetAt(), d.toString());
    }
    Rule one = Rule.builder("one").targets("pay").limit(LimitSpec.calendarWindow(1, WindowUnit.DAY)).build();
    RateLimiter budget = limiter(one);
    take(budget, CallContext.tool("pay").user("u").build());
    Decision.Denied limited = denied(budget.acquire(CallContext.tool("pay").user("u").build()));
    assertEquals(Long.valueOf(1), limited.limit());
    assertEquals(Long.valueOf(0), limited.remaining());
    assertNotNull(limited.window());
    assertNotNull(limited.resetAt());
  }

  // ---------------------------------------------------------------- 15.10 clock jumps

  private static final Duration YEAR = Duration.ofDays(365);

  /**
   * Fills a rule's budget a year ahead, moves the clock back, and checks the denial's retry hint:
   * at most {@code bound}, and true (the call is granted once it has passed).
   */
  private void afterAJumpForwardAndBack(LimitSpec spec, int fill, Duration bound) {
    Rule r = Rule.builder("r").limit(spec).build();
    RateLimiter l = limiter(r);
    CallContext c = CallContext.tool("x").user("u").build();
    clock.advance(YEAR);
    for (int i = 0; i < fill; i++) {
      assertTrue(take(l, c));
    }
    clock.setNanos(clock.nanos() - YEAR.toNanos());
    Decision.Denied d = denied(l.acquire(c));
    Duration retry = assertInstanceOf(Duration.class, d.retryAfter(), "a retry hint");
    assertTrue(retry.compareTo(bound) <= 0, spec + ": retry after " + retry + ", more than " + bound);
    clock.advance(retry);
    assertTrue(take(l, c), spec + ": the retry hint of " + retry + " was not true");
  }

  @Test
  void aCalendarWindowStampedAYearAheadBlocksAtMostOneWindowAndItsHintIsTrue() {
    afterAJumpForwardAndBack(LimitSpec.calendarWindow(3, WindowUnit.MINUTE), 3, Duration.ofMinutes(1));
    afterAJumpForwardAndBack(LimitSpec.calendarWindow(3, WindowUnit.DAY), 3, Duration.ofDays(1));
  }

  @Test
  void aTokenBucketStampedAYearAheadBlocksAtMostOnePeriodAndItsHintIsTrue() {
    // capacity 3, one token per hour: the period to refill from empty is 3 hours; a booking may
    // add up to the longest max wait (1 hour)
    afterAJumpForwardAndBack(LimitSpec.tokenBucket(3, 1, Duration.ofHours(1)), 3, Duration.ofHours(4));
  }

  @Test
  void slidingWindowsStampedAYearAheadBlockAtMostTwoWindowsAndTheirHintIsTrue() {
    afterAJumpForwardAndBack(LimitSpec.slidingWindow(3, Duration.ofMinutes(1)), 3, Duration.ofMinutes(2));
    afterAJumpForwardAndBack(LimitSpec.exactSlidingWindow(3, Duration.ofMinutes(1)), 3, Duration.ofMinutes(1));
  }

  @Test
  void aSmallStepBackStillCountsTheNewerWindow() {
    // jumping back less than a window must not hand out a fresh budget
    Rule r = Rule.builder("r").limit(LimitSpec.calendarWindow(3, WindowUnit.MINUTE)).build();
    RateLimiter l = limiter(r);
    CallContext c = CallContext.tool("x").user("u").build();
    clock.advance(Duration.ofSeconds(61)); // 00:01:01
    for (int i = 0; i < 3; i++) {
      assertTrue(take(l, c));
    }
    clock.setNanos(clock.nanos() - Duration.ofSeconds(2).toNanos()); // 00:00:59
    Decision.Denied d = denied(l.acquire(c));
    assertEquals(Duration.ofSeconds(61), d.retryAfter(), "the newer window ends at 00:02:00");
    clock.advance(Duration.ofSeconds(60));
    assertEquals(DenialReason.RATE_LIMITED, denied(l.acquire(c)).reason(), "00:01:59 is still that window");
    clock.advance(Duration.ofSeconds(1));
    assertTrue(take(l, c));
  }
}
