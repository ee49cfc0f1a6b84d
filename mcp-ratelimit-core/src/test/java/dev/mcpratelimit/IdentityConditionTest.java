package dev.mcpratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.Condition.Op;
import dev.mcpratelimit.testing.FakeClock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Conditions on identity, rule selectors ({@code when}) and conditional hide rules. */
class IdentityConditionTest {
  private final FakeClock clock = FakeClock.create();

  private static CallContext caller(String user, String plan) {
    CallContext.Builder b = CallContext.tool("search").user(user).tenant("t-" + user).session("s-" + user).client("cli");
    return b.attribute("plan", plan).build();
  }

  @Test
  void everyOperatorReadsIdentityAttributes() {
    CallContext pro = caller("alice", "pro");
    assertTrue(Condition.of("identity.plan", Op.EQ, "pro").test(pro));
    assertFalse(Condition.of("identity.plan", Op.EQ, "free").test(pro));
    assertTrue(Condition.of("identity.plan", Op.NEQ, "free").test(pro));
    assertTrue(Condition.of("identity.plan", Op.IN, List.of("pro", "team")).test(pro));
    assertFalse(Condition.of("identity.plan", Op.NOT_IN, List.of("pro", "team")).test(pro));
    assertTrue(Condition.of("identity.user", Op.LT, "bob").test(pro), "strings order lexicographically");
    assertTrue(Condition.of("identity.user", Op.LTE, "alice").test(pro));
    assertFalse(Condition.of("identity.user", Op.GT, "bob").test(pro));
    assertTrue(Condition.of("identity.user", Op.GTE, "alice").test(pro));
    assertFalse(Condition.of("identity.user", Op.LT, 5).test(pro), "text never orders against a number");
    assertTrue(Condition.of("identity.tenant", Op.REGEX, "^t-a").test(pro));
    assertTrue(Condition.of("identity.session", Op.CONTAINS, "alice").test(pro));
    assertTrue(Condition.of("identity.client", Op.EQ, "cli").test(pro));
    assertTrue(Condition.of("identity.plan", Op.EXISTS, true).test(pro));
    assertTrue(Condition.of("identity.role", Op.EXISTS, false).test(pro));
    assertTrue(Condition.of("identity.role", Op.NEQ, "admin").test(pro), "a missing attribute is not equal");
    assertFalse(Condition.of("identity.role", Op.EQ, "admin").test(pro));
  }

  @Test
  void identityPathsDoNotReadArgumentsAndArgsPrefixStillReachesAnArgumentNamedIdentity() {
    CallContext call = CallContext.tool("t").user("alice")
        .arguments(Map.of("identity", Map.of("user", "mallory"))).build();
    assertTrue(Condition.of("identity.user", Op.EQ, "alice").test(call));
    assertTrue(Condition.of("args.identity.user", Op.EQ, "mallory").test(call));
    assertFalse(Condition.of("identity.user", Op.EQ, "alice").test(call.arguments()), "no identity in an argument map");
    assertEquals("user", Condition.of("identity.user", Op.EQ, "x").identityAttribute());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Condition.of("identity.", Op.EQ, "x"));
    assertTrue(e.getMessage().contains("identity path must name an attribute"), e.getMessage());
  }

  @Test
  void planTiersSelectTheirRuleAndCountSeparately() {
    RateLimitPolicy policy = RateLimitPolicy.builder()
        .rule(Rule.builder("free plan").key(KeyResolvers.tenant()).limit(LimitSpec.calendarWindow(2, WindowUnit.MINUTE))
            .when(Condition.of("identity.plan", Op.NEQ, "pro")).build())
        .rule(Rule.builder("pro plan").key(KeyResolvers.tenant()).limit(LimitSpec.calendarWindow(5, WindowUnit.MINUTE))
            .when(Condition.of("identity.plan", Op.EQ, "pro")).build())
        .build();
    RateLimiter l = RateLimiter.builder(policy).clock(clock).build();
    CallContext free = caller("carol", "free");
    CallContext pro = caller("alice", "pro");
    CallContext none = CallContext.tool("search").tenant("t-dave").build();
    assertEquals(2, grants(l, free, 10));
    assertEquals(5, grants(l, pro, 10));
    assertEquals(2, grants(l, none, 10), "no plan: the free rule applies (neq holds when missing)");
    Decision.Denied d = (Decision.Denied) l.acquire(free);
    assertEquals("free plan", d.rule(), "the free caller is denied by its own rule, not the pro one");
    clock.advance(Duration.ofMinutes(1));
    assertEquals(2, grants(l, free, 10), "the window reset");
  }

  @Test
  void aRuleNeedsALimitOrARequirementNotOnlyASelector() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Rule.builder("x").when(Condition.of("identity.plan", Op.EQ, "pro")).build());
    assertTrue(e.getMessage().contains("neither a limit nor a condition"), e.getMessage());
  }

  @Test
  void identityRequirementDeniesOthers() {
    RateLimitPolicy policy = RateLimitPolicy.builder()
        .rule(Rule.builder("admins only").targets("drop").condition(Condition.of("identity.role", Op.EQ, "admin")).build())
        .build();
    RateLimiter l = RateLimiter.builder(policy).clock(clock).build();
    assertTrue(l.acquire(CallContext.tool("drop").attribute("role", "admin").build()).isGranted());
    Decision.Denied d = (Decision.Denied) l.acquire(CallContext.tool("drop").attribute("role", "dev").build());
    assertEquals(DenialReason.CONDITION_FAILED, d.reason());
  }

  @Test
  void conditionalHideDecidesPerCaller() {
    RateLimitPolicy policy = RateLimitPolicy.builder()
        .hide(HideRule.always("legacy"))
        .hide(HideRule.of("delete_repository", List.of(), List.of(Condition.of("identity.role", Op.EQ, "admin"))))
        .hide(HideRule.of("beta", List.of(Condition.of("identity.plan", Op.EQ, "free")), List.of()))
        .build();
    CallContext admin = CallContext.tool("delete_repository").user("a").attribute("role", "admin").build();
    CallContext dev = CallContext.tool("delete_repository").user("b").attribute("role", "dev").build();
    CallContext anon = CallContext.tool("delete_repository").build();
    assertFalse(policy.isHiddenFor(admin));
    assertTrue(policy.isHiddenFor(dev));
    assertTrue(policy.isHiddenFor(anon), "no role: hidden");
    assertTrue(policy.isHiddenFor(CallContext.tool("legacy").attribute("role", "admin").build()));
    assertTrue(policy.isHiddenFor(CallContext.tool("beta").attribute("plan", "free").build()));
    assertFalse(policy.isHiddenFor(CallContext.tool("beta").attribute("plan", "pro").build()));
    assertEquals(java.util.Set.of("legacy"), policy.hidden());
    assertEquals(2, policy.hideRules().size());

    RateLimiter l = RateLimiter.builder(policy).clock(clock).build();
    assertTrue(l.acquire(admin).isGranted());
    assertEquals(DenialReason.HIDDEN, ((Decision.Denied) l.acquire(dev)).reason());
  }

  @Test
  void hideConditionsReadOnlyWhatAListingCarries() {
    IllegalArgumentException args = assertThrows(IllegalArgumentException.class,
        () -> HideRule.of("t", List.of(Condition.of("args.x", Op.EQ, 1)), List.of()));
    assertTrue(args.getMessage().contains("reads an argument, but a tools/list request has none"), args.getMessage());
    IllegalArgumentException session = assertThrows(IllegalArgumentException.class,
        () -> HideRule.of("t", List.of(), List.of(Condition.of("identity.session", Op.EXISTS, true))));
    assertTrue(session.getMessage().contains("reads the MCP session"), session.getMessage());
    assertThrows(IllegalArgumentException.class, () -> HideRule.always(" "));
  }

  private static int grants(RateLimiter l, CallContext c, int tries) {
    int n = 0;
    for (int i = 0; i < tries; i++) {
      Decision d = l.acquire(c);
      if (d instanceof Decision.Granted g) {
        g.commit();
        n++;
      }
    }
    return n;
  }
}
