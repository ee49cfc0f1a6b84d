package dev.mcpratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Call contexts, key resolvers, conditions, rules and policies. */
class PolicyApiTest {

  @Property(tries = 1000)
  void compositeKeysAreInjective(@ForAll String a1, @ForAll String b1, @ForAll String a2, @ForAll String b2) {
    Assume.that(!(a1.equals(a2) && b1.equals(b2)));
    KeyResolver k = KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tenant());
    String x = k.resolve(CallContext.tool("t").user(a1).tenant(b1).build());
    String y = k.resolve(CallContext.tool("t").user(a2).tenant(b2).build());
    assertNotEquals(x, y);
  }

  @Test
  void namedAndArgumentResolversReadTheirValueFromTheCall() {
    Map<String, Object> args = Map.of("repo", "acme/api", "n", 3, "items", List.of(Map.of("id", "x7")));
    CallContext c = CallContext.tool("search").user("u").tenant("t").session("s").client("cli")
        .attribute("apiKey", "k1").arguments(args).build();
    assertEquals("u", KeyResolvers.named("user").resolve(c));
    assertEquals("t", KeyResolvers.named("tenant").resolve(c));
    assertEquals("s", KeyResolvers.named("session").resolve(c));
    assertEquals("cli", KeyResolvers.named("client").resolve(c));
    assertEquals("search", KeyResolvers.named("tool").resolve(c));
    assertEquals("", KeyResolvers.named("global").resolve(c));
    assertEquals("k1", KeyResolvers.named("attr.apiKey").resolve(c));
    assertEquals("acme/api", KeyResolvers.named("args.repo").resolve(c));
    assertEquals("3", KeyResolvers.argument("n").resolve(c));
    assertEquals("x7", KeyResolvers.argument("args.items.0.id").resolve(c));
    assertNull(KeyResolvers.argument("args.items.1.id").resolve(c));
    assertNull(KeyResolvers.argument("args.items").resolve(c), "objects are not keys");
    assertNull(KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.argument("missing")).resolve(c));
    assertEquals(List.of("user", "args.repo"), KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.argument("repo")).dimensions());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeyResolvers.named("usr"));
    assertTrue(e.getMessage().contains("unknown key dimension 'usr'"));
  }

  @Test
  void contextIsImmutableAndItsToStringLeaksNoIdentity() {
    Map<String, Object> args = new HashMap<>(Map.of("a", 1));
    CallContext c = CallContext.tool("x").user("alice-secret").tenant("acme-secret").arguments(args).build();
    assertThrows(UnsupportedOperationException.class, () -> c.arguments().put("b", 2));
    assertThrows(UnsupportedOperationException.class, () -> c.attributes().put("user", "bob"));
    assertFalse(c.toString().contains("secret"), c.toString());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "EQ     | 5      | true",
      "NEQ    | 6      | true",
      "LT     | 6      | true",
      "LTE    | 5      | true",
      "GT     | 5      | false",
      "GTE    | 5.0    | true",
  })
  void numericOperators(Condition.Op op, String value, boolean expected) {
    Object v = value.contains(".") ? (Object) Double.parseDouble(value) : (Object) Long.parseLong(value);
    assertEquals(expected, Condition.of("args.n", op, v).test(Map.of("n", 5)));
  }

  @Test
  void setRegexContainsAndExistsOperatorsTestTheArguments() {
    Map<String, Object> args = Map.of("cur", "usd", "title", "Bug: stale cache", "tags", List.of("a", "b"), "n", 5);
    assertTrue(Condition.of("cur", Condition.Op.IN, List.of("usd", "eur")).test(args));
    assertFalse(Condition.of("cur", Condition.Op.NOT_IN, List.of("usd", "eur")).test(args));
    assertTrue(Condition.of("title", Condition.Op.REGEX, "^Bug:").test(args));
    assertFalse(Condition.of("title", Condition.Op.REGEX, "^Feature").test(args));
    assertTrue(Condition.of("title", Condition.Op.CONTAINS, "stale").test(args));
    assertTrue(Condition.of("tags", Condition.Op.CONTAINS, "b").test(args));
    assertTrue(Condition.of("title", Condition.Op.EXISTS, true).test(args));
    assertTrue(Condition.of("nope", Condition.Op.EXISTS, false).test(args));
    assertFalse(Condition.of("nope", Condition.Op.LT, 10).test(args), "a missing argument fails ordering");
    assertTrue(Condition.of("nope", Condition.Op.NEQ, 10).test(args));
    assertFalse(Condition.of("cur", Condition.Op.LT, 10).test(args), "text is not ordered against a number");
    assertTrue(Condition.of("n", Condition.Op.EQ, 5.0).test(args), "numbers compare by value");
    assertEquals(Condition.Op.NOT_IN, Condition.Op.fromText("not_in"));
  }

  @Test
  void invalidConditionsAreRejectedWithTheirPath() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Condition.of("args.title", Condition.Op.REGEX, "([a-z"));
    assertTrue(e.getMessage().contains("regex on args.title does not compile"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Condition.of("args.cur", Condition.Op.IN, "usd"));
    assertTrue(e.getMessage().contains("must be a list"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Condition.of("args.", Condition.Op.EQ, 1));
    assertTrue(e.getMessage().contains("argument path"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Condition.Op.fromText("like"));
    assertTrue(e.getMessage().contains("unknown operator 'like'"));
  }

  @Test
  void invalidBuilderSettingsAreRejectedWithMessagesNamingThem() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Rule.builder("r").maxWait(Duration.ofSeconds(-1)));
    assertTrue(e.getMessage().contains("maxWait of rule 'r' must not be negative"));
    e = assertThrows(IllegalArgumentException.class, () -> Rule.builder("empty").build());
    assertTrue(e.getMessage().contains("neither a limit nor a condition"));
    Rule r = Rule.builder("dup").limit(LimitSpec.concurrency(1)).build();
    e = assertThrows(IllegalArgumentException.class, () -> RateLimitPolicy.builder().rule(r).rule(r).build());
    assertTrue(e.getMessage().contains("duplicate rule name 'dup'"));
    e = assertThrows(IllegalArgumentException.class, () -> Cost.of(-1));
    assertTrue(e.getMessage().contains("cost must be 0 or more"));
  }

  @Test
  void stateIdentityChangesWithNameKeyOrLimitOnly() {
    Rule a = Rule.builder("r").limit(LimitSpec.calendarWindow(5, WindowUnit.HOUR)).onDeny("x").build();
    Rule sameButMessage = Rule.builder("r").limit(LimitSpec.calendarWindow(5, WindowUnit.HOUR)).onDeny("y").build();
    Rule otherLimit = Rule.builder("r").limit(LimitSpec.calendarWindow(6, WindowUnit.HOUR)).build();
    Rule otherKey = Rule.builder("r").key(KeyResolvers.tenant()).limit(LimitSpec.calendarWindow(5, WindowUnit.HOUR)).build();
    assertEquals(a.stateIdentity(), sameButMessage.stateIdentity());
    assertNotEquals(a.stateIdentity(), otherLimit.stateIdentity());
    assertNotEquals(a.stateIdentity(), otherKey.stateIdentity());
  }
}
