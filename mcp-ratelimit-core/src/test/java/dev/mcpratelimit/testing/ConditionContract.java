package dev.mcpratelimit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.Condition;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.spi.Probe;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Store contract, part of {@link StoreContract}: Rule conditions: every operator, validation-only rules.
 */
public abstract class ConditionContract extends CostContract {
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
}
