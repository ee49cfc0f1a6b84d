package dev.mcpratelimit.mcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Condition;
import dev.mcpratelimit.Cost;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.testing.FakeClock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The rendered denial tells the truth about budgets (issue 15, item 9; issue 16, item 2). */
class DenialRenderingTest {
  private final FakeClock clock = FakeClock.create();

  private static Decision.Denied denied(Decision d) {
    return assertInstanceOf(Decision.Denied.class, d, () -> "expected a denial, got " + d);
  }

  @Test
  void denialsNotAboutABudgetRenderNullBudgetFields() {
    Rule spend = Rule.builder("spend").targets("pay").key(KeyResolvers.tenant())
        .limit(LimitSpec.calendarWindow(100, WindowUnit.DAY)).cost(Cost.fromArgument("amount")).build();
    Rule cond = Rule.builder("small").targets("search").limit(LimitSpec.calendarWindow(100, WindowUnit.DAY))
        .condition(Condition.of("args.n", Condition.Op.LTE, 10)).build();
    RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().rule(spend).rule(cond).hide("secret").build())
        .clock(clock).build();
    List<Decision.Denied> denials = List.of(
        denied(l.acquire(CallContext.tool("pay").tenant("t").arguments(Map.of("amount", "lots")).build())),
        denied(l.acquire(CallContext.tool("search").user("u").arguments(Map.of("n", 11)).build())),
        denied(l.acquire(CallContext.tool("secret").user("u").build())));
    for (Decision.Denied d : denials) {
      Map<String, Object> m = Denials.structured(d);
      for (String field : List.of("limit", "window", "remaining", "resetAt", "policy", "ratelimit")) {
        assertTrue(m.containsKey(field), field + " is present");
        assertNull(m.get(field), d.reason().code() + " has no " + field + ": " + m);
      }
    }
  }

  @Test
  void aBudgetDenialRendersItsBudget() {
    Rule hourly = Rule.builder("hourly").limit(LimitSpec.calendarWindow(1, WindowUnit.HOUR)).build();
    RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().rule(hourly).build()).clock(clock).build();
    CallContext c = CallContext.tool("x").user("u").build();
    ((Decision.Granted) l.acquire(c)).commit();
    Map<String, Object> m = Denials.structured(denied(l.acquire(c)));
    assertEquals(1L, m.get("limit"));
    assertEquals(0L, m.get("remaining"));
    assertEquals("\"hourly\";q=1;w=3600", m.get("policy"));
    assertEquals("\"hourly\";r=0;t=3600", m.get("ratelimit"));
  }

  @Test
  void theUpstreamBackoffDenialIsTheEnginesOwn() {
    RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().build()).clock(clock).build();
    CallContext c = CallContext.tool("x").tenant("acme").build();
    Decision.Denied first = l.backoff(c, KeyResolvers.tenant(), Duration.ofSeconds(30));
    Decision.Denied later = denied(l.acquire(c));
    assertEquals(later.message(), first.message(), "one text for the triggering call and the calls after it");
    assertEquals(later.rule(), first.rule());
    assertEquals(Denials.text(later), Denials.text(first));
    Map<String, Object> m = Denials.structured(first);
    assertEquals("upstream_backoff", m.get("error"));
    assertNull(m.get("limit"), "the upstream's limit is unknown");
    assertEquals("\"backoff\";r=0;t=30", m.get("ratelimit"));
    assertNotNull(m.get("resetAt"));
  }
}
