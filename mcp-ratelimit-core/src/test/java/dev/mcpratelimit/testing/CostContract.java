package dev.mcpratelimit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.internal.seam.AsyncEngine;
import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Cost;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.spi.Probe;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Store contract, part of {@link StoreContract}: Costs taken from arguments: charged by value, bad ones denied clearly.
 */
public abstract class CostContract extends KeyCollisionContract {
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
    List<LimitSpec> specs = List.of(frozen(3), LimitSpec.calendarWindow(3, WindowUnit.DAY),
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
      Decision.Denied reserved = denied(AsyncEngine.of(l).reserve(c, AsyncEngine.FIRST_ATTEMPT));
      assertFalse(reserved.waitable());
      assertEquals(3, remaining(rule, c), "nothing taken: " + spec);
    }
  }
}
