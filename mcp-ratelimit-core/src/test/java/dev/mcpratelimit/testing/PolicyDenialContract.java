package dev.mcpratelimit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.spi.Probe;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import org.junit.jupiter.api.Test;

/**
 * Store contract, part of {@link StoreContract}: Denials decided by the policy itself: default deny, hidden tools.
 */
public abstract class PolicyDenialContract extends ConditionContract {
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
}
