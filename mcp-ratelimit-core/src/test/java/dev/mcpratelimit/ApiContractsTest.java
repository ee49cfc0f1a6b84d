package dev.mcpratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * The contracts of the API types around the engine: call contexts, key resolvers, conditions,
 * costs, rule and policy builders, and the order in which a policy applies its rules.
 */
class ApiContractsTest {

  // ====================================================================== CallContext

  @Test
  void aBuiltContextDoesNotChangeWhenItsBuilderIsReused() {
    CallContext.Builder b = CallContext.tool("create_issue").user("alice").tenant("acme");
    CallContext first = b.build();
    b.user("bob").tenant(null).session("s1").attribute("apiKey", "k");
    CallContext second = b.build();
    assertEquals("alice", first.user());
    assertEquals("acme", first.tenant());
    assertNull(first.attribute(CallContext.SESSION));
    assertEquals(Map.of("user", "alice", "tenant", "acme"), first.attributes());
    assertEquals("bob", second.user());
    assertNull(second.tenant());
    assertEquals("s1", second.attribute(CallContext.SESSION));
    assertEquals("k", second.attribute("apiKey"));
  }

  @Test
  void aContextIsReadOnly() {
    Map<String, Object> args = new HashMap<>(Map.of("a", 1));
    CallContext c = CallContext.tool("x").user("alice").arguments(args).build();
    assertThrows(UnsupportedOperationException.class, () -> c.arguments().put("b", 2));
    assertThrows(UnsupportedOperationException.class, () -> c.attributes().put("user", "bob"));
    assertThrows(UnsupportedOperationException.class, () -> c.attributes().remove("user"));
    assertEquals(Map.of(), CallContext.tool("x").arguments(null).build().arguments());
    assertEquals(Map.of(), CallContext.tool("x").build().attributes());
  }

  @Test
  void aContextDescribesItselfWithoutIdentityOrArgumentValues() {
    CallContext c = CallContext.of(CallContext.Method.RESOURCES_READ, "file:///readme")
        .user("alice-secret").tenant("acme-secret").session("session-secret").client("client-secret")
        .attribute("apiKey", "key-secret").arguments(Map.of("token", "arg-secret")).build();
    String s = c.toString();
    assertFalse(s.contains("secret"), s);
    assertTrue(s.contains("resources/read") && s.contains("file:///readme"), s);
    assertTrue(s.contains("user") && s.contains("apiKey"), "attribute names are fine: " + s);
    assertEquals(CallContext.Method.RESOURCES_READ, c.method());
    assertEquals("file:///readme", c.target());
    assertEquals("prompts/get", CallContext.Method.PROMPTS_GET.wireName());
  }

  @Test
  void aContextNeedsAMethodAndATarget() {
    assertThrows(NullPointerException.class, () -> CallContext.tool(null));
    assertThrows(NullPointerException.class, () -> CallContext.of(null, "x"));
    assertThrows(NullPointerException.class, () -> CallContext.tool("x").attribute(null, "v"));
    CallContext c = CallContext.tool("x").user("alice").user(null).build();
    assertNull(c.user(), "a null value removes the attribute");
    assertFalse(c.attributes().containsKey("user"));
  }

  // ====================================================================== KeyResolvers

  @Test
  void everyNamedResolverReadsItsDimensionFromTheCall() {
    CallContext c = CallContext.tool("search").user("u").tenant("t").session("s").client("cli")
        .attribute("apiKey", "k1").arguments(Map.of("repo", "acme/api")).build();
    Map<String, String> expected = Map.of("user", "u", "tenant", "t", "session", "s", "client", "cli",
        "tool", "search", "global", "", "attr.apiKey", "k1", "args.repo", "acme/api");
    expected.forEach((name, value) -> {
      KeyResolver r = KeyResolvers.named(name);
      assertEquals(value, r.resolve(c), name);
      assertEquals(List.of(name.startsWith("attr.") ? name.substring(5) : name), r.dimensions(), name);
    });
    assertSame(KeyResolvers.user(), KeyResolvers.named("user"));
    assertEquals("", KeyResolvers.global().resolve(CallContext.tool("other").build()), "one key for everyone");
    assertNull(KeyResolvers.user().resolve(CallContext.tool("x").build()));
    for (String bad : List.of("usr", "attr.", "", "args", "USER")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeyResolvers.named(bad), bad);
      assertTrue(e.getMessage().contains("unknown key dimension '" + bad + "'"), e.getMessage());
      assertTrue(e.getMessage().contains("expected user, tenant"), e.getMessage());
    }
  }

  @Test
  void argumentResolversFollowPathsIntoMapsAndLists() {
    Map<String, Object> withNull = new HashMap<>();
    withNull.put("owner", null);
    Map<String, Object> args = Map.of("repo", Map.of("owner", "acme", "stars", 3, "fork", false, "score", 2.5),
        "items", List.of(Map.of("id", "x7"), Map.of("id", 8)), "nothing", withNull, "tags", List.of("a"));
    CallContext c = CallContext.tool("t").arguments(args).build();
    assertEquals("acme", KeyResolvers.argument("repo.owner").resolve(c));
    assertEquals("acme", KeyResolvers.argument("args.repo.owner").resolve(c), "the args. prefix is optional");
    assertEquals("3", KeyResolvers.argument("repo.stars").resolve(c), "numbers as text");
    assertEquals("2.5", KeyResolvers.argument("repo.score").resolve(c));
    assertEquals("false", KeyResolvers.argument("repo.fork").resolve(c), "booleans as text");
    assertEquals("x7", KeyResolvers.argument("items.0.id").resolve(c), "a numeric segment indexes a list");
    assertEquals("8", KeyResolvers.argument("args.items.1.id").resolve(c));
    assertEquals("a", KeyResolvers.argument("tags.0").resolve(c));
    for (String missing : List.of("items.2.id", "items.-1.id", "items.first.id", "items.0.id.deeper", "repo.missing",
        "nothing.owner", "repo", "items", "tags.00x", "missing.path")) {
      assertNull(KeyResolvers.argument(missing).resolve(c), missing + " is a missing identity");
    }
    assertEquals(List.of("args.repo.owner"), KeyResolvers.argument("repo.owner").dimensions());
    assertEquals(List.of("args.repo.owner"), KeyResolvers.argument("args.repo.owner").dimensions());
    for (String bad : List.of("", "args.", "a..b", ".a", "a.")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeyResolvers.argument(bad), bad);
      assertTrue(e.getMessage().contains("argument path"), e.getMessage());
    }
  }

  @Test
  void compositeKeysJoinTheirPartsAndAreMissingIfAnyPartIs() {
    CallContext c = CallContext.tool("search").user("u").tenant("t").build();
    KeyResolver k = KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tenant(), KeyResolvers.tool());
    assertEquals(List.of("user", "tenant", "tool"), k.dimensions());
    assertNotEquals(null, k.resolve(c));
    assertNull(KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.session()).resolve(c), "missing if any part is");
    assertSame(KeyResolvers.user(), KeyResolvers.composite(KeyResolvers.user()), "one part is that part");
    assertThrows(IllegalArgumentException.class, () -> KeyResolvers.composite(List.of()));
    KeyResolver custom = KeyResolvers.of("api-key", call -> call.attribute("k"));
    assertEquals(List.of("api-key"), custom.dimensions());
    assertEquals(List.of("user", "api-key"), KeyResolvers.composite(KeyResolvers.user(), custom).dimensions());
  }

  @Property(tries = 1000)
  void compositeKeysAreInjectiveEvenWhenNested(
      @ForAll String a1, @ForAll String b1, @ForAll String c1, @ForAll String a2, @ForAll String b2, @ForAll String c2) {
    Assume.that(!(a1.equals(a2) && b1.equals(b2) && c1.equals(c2)));
    KeyResolver flat = KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tenant(), KeyResolvers.session());
    KeyResolver nested = KeyResolvers.composite(
        KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tenant()), KeyResolvers.session());
    CallContext x = CallContext.tool("t").user(a1).tenant(b1).session(c1).build();
    CallContext y = CallContext.tool("t").user(a2).tenant(b2).session(c2).build();
    assertNotEquals(flat.resolve(x), flat.resolve(y));
    assertNotEquals(nested.resolve(x), nested.resolve(y));
  }

  @Test
  void compositeKeysOfTheClassicAmbiguities() {
    KeyResolver k = KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tenant());
    List<String> keys = new ArrayList<>();
    String[][] pairs = {{"a:b", "c"}, {"a", "b:c"}, {"1:a", ""}, {"", "1:a"}, {"a", "bc"}, {"ab", "c"}};
    for (String[] p : pairs) {
      keys.add(k.resolve(CallContext.tool("t").user(p[0]).tenant(p[1]).build()));
    }
    assertEquals(pairs.length, keys.stream().distinct().count(), keys.toString());
  }

  // ====================================================================== Condition

  @Test
  void invalidConditionsAreRejectedNamingThePathAndWhatWasExpected() {
    assertMessage(() -> Condition.of("args.title", Condition.Op.REGEX, "([a-z"), "regex on args.title does not compile");
    assertMessage(() -> Condition.of("args.title", Condition.Op.REGEX, 5), "value of 'regex' on args.title must be a string");
    assertMessage(() -> Condition.of("args.title", Condition.Op.REGEX, null), "must be a string");
    assertMessage(() -> Condition.of("args.cur", Condition.Op.IN, "usd"), "value of 'in' on args.cur must be a list");
    assertMessage(() -> Condition.of("args.cur", Condition.Op.NOT_IN, null), "value of 'not_in' on args.cur must be a list");
    assertMessage(() -> Condition.of("args.n", Condition.Op.LT, true), "value of 'lt' on args.n must be a number or string");
    assertMessage(() -> Condition.of("args.n", Condition.Op.GTE, List.of(1)), "must be a number or string");
    assertMessage(() -> Condition.of("args.n", Condition.Op.LTE, Double.NaN), "value of 'lte' on args.n must be a finite number");
    assertMessage(() -> Condition.of("args.n", Condition.Op.GT, Double.NEGATIVE_INFINITY), "must be a finite number");
    assertMessage(() -> Condition.of("args.n", Condition.Op.EXISTS, "yes"), "value of 'exists' on args.n must be true or false");
    assertMessage(() -> Condition.of("args.n", Condition.Op.EQ, Map.of("a", 1)), "value of 'eq' on args.n must not be an object");
    assertMessage(() -> Condition.of("args.", Condition.Op.EQ, 1), "argument path");
    assertMessage(() -> Condition.of("args.a..b", Condition.Op.EQ, 1), "empty segment");
    assertMessage(() -> Condition.Op.fromText("like"), "unknown operator 'like'");
    assertThrows(NullPointerException.class, () -> Condition.of(null, Condition.Op.EQ, 1));
    assertThrows(NullPointerException.class, () -> Condition.of("a", null, 1));
  }

  @Test
  void listOperandsMayHoldNullAndAreCopied() {
    List<Object> values = new ArrayList<>(Arrays.asList("usd", null));
    Condition in = Condition.of("args.cur", Condition.Op.IN, values);
    values.add("eur");
    Map<String, Object> explicitNull = new HashMap<>();
    explicitNull.put("cur", null);
    assertTrue(in.test(explicitNull), "an explicit null is in [usd, null]");
    assertTrue(in.test(Map.of("cur", "usd")));
    assertFalse(in.test(Map.of("cur", "eur")), "the operand was copied when the condition was made");
    assertFalse(in.test(Map.of()), "a missing argument is in nothing");
    @SuppressWarnings("unchecked")
    List<Object> operand = (List<Object>) in.value();
    assertThrows(UnsupportedOperationException.class, () -> operand.add("gbp"));
  }

  @Test
  void operatorsCompareNumbersByValueAndNeverOrderTextAgainstNumbers() {
    Map<String, Object> args = Map.of("n", 5, "s", "b", "big", new BigDecimal("1e400"), "nan", Double.NaN);
    assertTrue(Condition.of("n", Condition.Op.EQ, 5.0).test(args), "numbers compare by value");
    assertTrue(Condition.of("n", Condition.Op.LT, new BigDecimal("5.000000000000000000001")).test(args));
    assertTrue(Condition.of("big", Condition.Op.GT, Long.MAX_VALUE).test(args), "beyond double and long");
    assertFalse(Condition.of("nan", Condition.Op.LT, 1).test(args), "NaN is not ordered");
    assertFalse(Condition.of("nan", Condition.Op.GTE, 1).test(args));
    assertFalse(Condition.of("nan", Condition.Op.EQ, Double.NaN).test(args), "NaN equals nothing");
    assertTrue(Condition.of("s", Condition.Op.LT, "c").test(args), "two strings order lexicographically");
    assertFalse(Condition.of("s", Condition.Op.LT, 10).test(args), "text does not order against a number");
    assertFalse(Condition.of("n", Condition.Op.LT, "9").test(args), "nor a number against text");
    assertFalse(Condition.of("missing", Condition.Op.LT, 10).test(args));
    assertFalse(Condition.of("missing", Condition.Op.GTE, 10).test(args));
    assertTrue(Condition.of("missing", Condition.Op.NEQ, 10).test(args));
    assertTrue(Condition.of("missing", Condition.Op.NOT_IN, List.of(1)).test(args));
    assertFalse(Condition.of("missing", Condition.Op.EQ, 10).test(args));
    assertFalse(Condition.of("missing", Condition.Op.REGEX, ".*").test(args));
    assertFalse(Condition.of("missing", Condition.Op.CONTAINS, "a").test(args));
    assertTrue(Condition.of("n", Condition.Op.REGEX, "^5$").test(args), "regex matches numbers as text");
    assertEquals("args.n lte 5", Condition.of("args.n", Condition.Op.LTE, 5).toString());
    for (Condition.Op op : Condition.Op.values()) {
      assertSame(op, Condition.Op.fromText(op.text()));
    }
  }

  // ====================================================================== Cost

  @Test
  void constantCostsAndTheirValidation() {
    assertEquals(1, Cost.one().resolve(CallContext.tool("x").build()));
    assertEquals(7, Cost.of(7).resolve(CallContext.tool("x").build()));
    assertSame(Cost.one(), Cost.of(1));
    assertEquals(Cost.of(3), Cost.of(3));
    assertEquals(Cost.fromArgument("args.a"), Cost.fromArgument("args.a"));
    assertNotEquals(Cost.fromArgument("args.a"), Cost.fromArgumentRoundingUp("args.a"));
    assertFalse(Cost.of(3).isArgumentDerived());
    assertTrue(Cost.fromArgument("a").isArgumentDerived());
    assertMessage(() -> Cost.of(-1), "cost must be 0 or more, but was -1");
    assertMessage(() -> Cost.fromArgument("args."), "argument path");
  }

  @Test
  void argumentCostsExplainEveryBadValue() {
    Map<String, Object> explicitNull = new HashMap<>();
    explicitNull.put("amount", null);
    Map<Object, String> cases = new java.util.LinkedHashMap<>();
    cases.put("12", "cost argument args.amount must be a number, but was \"12\"");
    cases.put(Boolean.TRUE, "must be a number, but was a boolean (true)");
    cases.put(List.of(1, 2), "must be a number, but was a list"); // JSON kinds, never Java classes (List12)
    cases.put(Map.of("a", 1), "must be a number, but was an object");
    cases.put(Double.NaN, "cost argument args.amount must be a finite number, but was NaN");
    cases.put(-3, "cost argument args.amount must not be negative, but was -3");
    cases.put(2.5, "cost argument args.amount must be a whole number, but was 2.5");
    cases.put(1e30, "cost argument args.amount is too large");
    cases.put(new BigDecimal("9223372036854775808"), "is too large");
    cases.put("x".repeat(1000), "must be a number");
    Cost cost = Cost.fromArgument("args.amount");
    cases.forEach((value, message) -> {
      CallContext c = CallContext.tool("t").arguments(Map.of("amount", value)).build();
      Cost.InvalidCostException e = assertThrows(Cost.InvalidCostException.class, () -> cost.resolve(c), value::toString);
      assertTrue(e.getMessage().contains(message), e.getMessage());
      assertTrue(e.getMessage().length() < 200, "a long value is shortened: " + e.getMessage().length());
    });
    assertMessage(() -> cost.resolve(CallContext.tool("t").build()), "cost argument args.amount is missing");
    assertMessage(() -> cost.resolve(CallContext.tool("t").arguments(explicitNull).build()), "args.amount");
    assertEquals(Long.MAX_VALUE, cost.resolve(CallContext.tool("t").arguments(Map.of("amount", Long.MAX_VALUE)).build()));
    assertEquals(5, cost.resolve(CallContext.tool("t").arguments(Map.of("amount", new BigDecimal("5.000"))).build()));
    assertEquals(5, cost.resolve(CallContext.tool("t").arguments(Map.of("amount", new BigDecimal("0.05e2"))).build()));
    assertEquals(500, cost.resolve(CallContext.tool("t").arguments(Map.of("amount", new BigDecimal("5e2"))).build()));
    Cost up = Cost.fromArgumentRoundingUp("amount");
    assertEquals(3, up.resolve(CallContext.tool("t").arguments(Map.of("amount", 2.1)).build()));
    assertEquals(1, up.resolve(CallContext.tool("t").arguments(Map.of("amount", new BigDecimal("1e-1000000000"))).build()),
        "a tiny fraction rounds up to 1, quickly");
    assertEquals(0, up.resolve(CallContext.tool("t").arguments(Map.of("amount", -0.0)).build()));
    assertMessage(() -> up.resolve(CallContext.tool("t").arguments(Map.of("amount", new BigDecimal("1e1000000000"))).build()),
        "too large");
  }

  // ====================================================================== Rule and policy builders

  @Test
  void ruleBuilderRejectsBadSettingsWithMessagesNamingRuleAndValue() {
    assertMessage(() -> Rule.builder(" "), "rule name must not be blank");
    assertThrows(NullPointerException.class, () -> Rule.builder(null));
    assertMessage(() -> Rule.builder("r").maxWait(Duration.ofSeconds(-1)), "maxWait of rule 'r' must not be negative, but was PT-1S");
    assertMessage(() -> Rule.builder("r").maxWait(Duration.ofHours(2)), "maxWait of rule 'r' must be at most 1 hour");
    assertMessage(() -> Rule.builder("empty").build(), "rule 'empty' has neither a limit nor a condition");
    assertMessage(() -> Rule.builder("c").limit(LimitSpec.concurrency(2)).cost(Cost.fromArgument("n")).build(),
        "rule 'c': a concurrency limit takes a constant cost");
    assertMessage(() -> Rule.builder("r").cost(-2), "cost must be 0 or more");
    assertThrows(NullPointerException.class, () -> Rule.builder("r").key(null));
    assertThrows(NullPointerException.class, () -> Rule.builder("r").targets((String) null));
  }

  @Test
  void aRuleDefaultsToEveryToolPerUserAtCostOneEnforcedWithoutWaiting() {
    Rule r = Rule.builder("r").limit(LimitSpec.concurrency(1)).build();
    assertEquals(java.util.Set.of(Rule.ANY), r.targets());
    assertTrue(r.isWildcard());
    assertEquals(java.util.Set.of(CallContext.Method.TOOLS_CALL), r.methods());
    assertEquals(KeyResolvers.user().dimensions(), r.key().dimensions());
    assertEquals(Cost.one(), r.cost());
    assertEquals(Mode.ENFORCE, r.mode());
    assertEquals(Duration.ZERO, r.maxWait());
    assertEquals(MissingIdentity.SHARED, r.onMissingIdentity());
    assertNull(r.onDeny());
    assertTrue(r.selects(CallContext.Method.TOOLS_CALL, "anything"));
    assertFalse(r.selects(CallContext.Method.RESOURCES_READ, "anything"));
  }

  @Test
  void policyBuilderRejectsDuplicateNamesAndNullsAndDefaultsToAllowFailOpen() {
    Rule a = Rule.builder("dup").limit(LimitSpec.concurrency(1)).build();
    Rule b = Rule.builder("dup").targets("x").limit(LimitSpec.concurrency(2)).build();
    assertMessage(() -> RateLimitPolicy.builder().rule(a).rule(b).build(), "duplicate rule name 'dup': rule names must be unique");
    assertThrows(NullPointerException.class, () -> RateLimitPolicy.builder().rule(null));
    assertThrows(NullPointerException.class, () -> RateLimitPolicy.builder().defaultAction(null));
    RateLimitPolicy p = RateLimitPolicy.builder().build();
    assertEquals(RateLimitPolicy.DefaultAction.ALLOW, p.defaultAction());
    assertEquals(RateLimitPolicy.FailureMode.FAIL_OPEN, p.failureMode());
    assertEquals(0, p.rulesFor(CallContext.Method.TOOLS_CALL, "x").size());
  }

  @Test
  void policiesApplyToolRulesInDeclarationOrderThenWildcards() {
    RateLimitPolicy p = RateLimitPolicy.builder()
        .rule(Rule.builder("w1").limit(LimitSpec.concurrency(1)).build())
        .rule(Rule.builder("t1").targets("a").limit(LimitSpec.concurrency(1)).build())
        .rule(Rule.builder("w2").targets(Rule.ANY).limit(LimitSpec.concurrency(1)).build())
        .rule(Rule.builder("t2").targets("a", "b").limit(LimitSpec.concurrency(1)).build())
        .rule(Rule.builder("t3").targets("b").limit(LimitSpec.concurrency(1)).build())
        .rule(Rule.builder("both").targets("b", Rule.ANY).limit(LimitSpec.concurrency(1)).build())
        .rule(Rule.builder("reads").targets("a").methods(CallContext.Method.RESOURCES_READ).limit(LimitSpec.concurrency(1)).build())
        .hide("secret")
        .build();
    assertEquals(List.of("t1", "t2", "w1", "w2", "both"), names(p, CallContext.Method.TOOLS_CALL, "a"));
    assertEquals(List.of("t2", "t3", "both", "w1", "w2"), names(p, CallContext.Method.TOOLS_CALL, "b"),
        "a rule naming the tool and * applies once, among the tool's rules");
    assertEquals(List.of("w1", "w2", "both"), names(p, CallContext.Method.TOOLS_CALL, "c"));
    assertEquals(List.of("reads"), names(p, CallContext.Method.RESOURCES_READ, "a"), "methods select too");
    assertEquals(List.of(), names(p, CallContext.Method.PROMPTS_GET, "a"));
    assertTrue(p.names(CallContext.Method.TOOLS_CALL, "a"));
    assertFalse(p.names(CallContext.Method.TOOLS_CALL, "c"), "wildcards name no tool");
    assertTrue(p.isHidden("secret"));
    assertEquals(java.util.Set.of("secret"), p.hidden());
    assertEquals(7, p.rules().size());
  }

  private static List<String> names(RateLimitPolicy p, CallContext.Method m, String target) {
    return p.rulesFor(m, target).stream().map(Rule::name).toList();
  }

  @Test
  void stateIdentityFollowsNameKeyAndLimitOnly() {
    Rule a = Rule.builder("r").limit(LimitSpec.calendarWindow(5, WindowUnit.HOUR)).onDeny("x").maxWait(Duration.ofSeconds(1)).build();
    Rule b = Rule.builder("r").limit(LimitSpec.calendarWindow(5, WindowUnit.HOUR)).onDeny("y").mode(Mode.SHADOW).build();
    assertEquals(a.stateIdentity(), b.stateIdentity());
    assertNotEquals(a.stateIdentity(), Rule.builder("r").limit(LimitSpec.calendarWindow(6, WindowUnit.HOUR)).build().stateIdentity());
    assertNotEquals(a.stateIdentity(), Rule.builder("r").key(KeyResolvers.tenant()).limit(LimitSpec.calendarWindow(5, WindowUnit.HOUR)).build().stateIdentity());
    assertNotEquals(a.stateIdentity(), Rule.builder("r2").limit(LimitSpec.calendarWindow(5, WindowUnit.HOUR)).build().stateIdentity());
  }

  // ====================================================================== Decision

  @Test
  void aDenialIsAValue() {
    List<String> scope = new ArrayList<>(List.of("user"));
    Decision.Denied d = Decision.Denied.rateLimited("r", 5, "m").scope(scope).window(Duration.ofMinutes(1))
        .cost(1).build();
    scope.add("tenant");
    assertEquals(List.of("user"), d.scope(), "the scope is copied");
    assertNull(d.retryAfter(), "no retry-after when waiting cannot help");
    assertFalse(d.isGranted());
    assertEquals(Duration.ofMillis(1500), Decision.Denied.backoff(List.of(), 1_500_000_000L, Instant.EPOCH, "m", true)
        .retryAfter());
    assertEquals(Long.valueOf(5), d.limit());
    assertEquals(Long.valueOf(0), d.remaining());
    assertEquals(d, Decision.Denied.rateLimited("r", 5, "m").scope(List.of("user")).window(Duration.ofMinutes(1))
        .cost(1).build(), "equal fields, equal denials");
    assertEquals("rate_limited", DenialReason.RATE_LIMITED.code());
    assertEquals("upstream_backoff", DenialReason.BACKOFF.code());
  }

  private static void assertMessage(org.junit.jupiter.api.function.Executable e, String expected) {
    IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
    assertTrue(x.getMessage() != null && x.getMessage().contains(expected),
        "expected a message containing \"" + expected + "\" but was \"" + x.getMessage() + '"');
  }
}
