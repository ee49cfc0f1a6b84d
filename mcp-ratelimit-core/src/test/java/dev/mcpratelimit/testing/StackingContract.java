package dev.mcpratelimit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Store contract, part of {@link StoreContract}: Stacked rules and which rules select a call.
 */
public abstract class StackingContract extends StoreContractBase {
  @Test
  void stackedBurstAndDailyRulesAreBothEnforced() {
    Rule burst = Rule.builder("burst").targets("create_issue").limit(LimitSpec.calendarWindow(3, WindowUnit.MINUTE))
        .onDeny("Slow down — max 3 issues per minute").build();
    Rule daily = Rule.builder("daily").targets("create_issue").limit(LimitSpec.calendarWindow(20, WindowUnit.DAY)).build();
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
        l.policy().rulesFor(CallContext.Method.TOOLS_CALL, "create_issue").stream().map(Rule::name).toList());
    assertEquals(List.of("global"),
        l.policy().rulesFor(CallContext.Method.TOOLS_CALL, "echo").stream().map(Rule::name).toList());

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
}
