package dev.mcpratelimit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Condition;
import dev.mcpratelimit.Cost;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.MissingIdentity;
import dev.mcpratelimit.Mode;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Store contract, part of {@link StoreContract}: Shadow rules report would-be denials and never deny.
 */
public abstract class ShadowModeContract extends RefundContract {
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
}
