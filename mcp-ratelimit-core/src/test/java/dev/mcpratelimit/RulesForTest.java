package dev.mcpratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class RulesForTest {

  @Test
  void rulesForIsAnImmutableListBuiltOnceWithTheTargetsRulesThenTheWildcards() {
    Rule own = Rule.builder("own").targets("create_issue").limit(LimitSpec.calendarWindow(3, WindowUnit.MINUTE)).build();
    Rule all = Rule.builder("all").limit(LimitSpec.calendarWindow(100, WindowUnit.DAY)).build();
    RateLimitPolicy p = RateLimitPolicy.builder().rule(all).rule(own).build();
    List<Rule> rules = p.rulesFor(CallContext.Method.TOOLS_CALL, "create_issue");
    assertEquals(List.of(own, all), rules);
    assertThrows(UnsupportedOperationException.class, () -> rules.set(0, all));
    assertThrows(UnsupportedOperationException.class, () -> rules.remove(0));
    assertThrows(UnsupportedOperationException.class, () -> rules.add(all));
    assertEquals(List.of(own, all), p.rulesFor(CallContext.Method.TOOLS_CALL, "create_issue"), "unchanged");
    assertSame(rules, p.rulesFor(CallContext.Method.TOOLS_CALL, "create_issue"), "no list per lookup");
    assertEquals(List.of(all), p.rulesFor(CallContext.Method.TOOLS_CALL, "search"));
  }
}
