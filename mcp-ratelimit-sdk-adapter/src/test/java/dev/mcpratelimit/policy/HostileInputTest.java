package dev.mcpratelimit.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Condition;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.mcp.DenialMode;
import dev.mcpratelimit.mcp.McpRateLimiting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A policy file written (or changed) by someone careless or hostile: every mistake is a located
 * problem, never a raw exception, a hang, a lost watcher or a silently different policy; and
 * agents' arguments cannot make a condition spin or overflow the stack.
 */
class HostileInputTest {

  private static List<Problem> problems(String yaml) {
    return assertThrows(PolicyException.class, () -> PolicyLoader.parse(yaml, "hostile.yaml", false)).problems();
  }

  private static String text(List<Problem> ps) {
    return ps.stream().map(Problem::toString).collect(Collectors.joining("\n"));
  }

  private static PolicyFile yaml(String yaml) {
    return PolicyLoader.parse(yaml, "hostile.yaml", false);
  }

  // ------------------------------------------------------------------ numbers (15.3)

  @ParameterizedTest
  @ValueSource(strings = {
      "tokenBucket: { capacity: 1e400, refill: 1/second }",
      "tokenBucket: { capacity: -1e400, refill: 1/second }",
      "concurrency: 1e400",
      "concurrency: 123456789012345678901234567890",
      "quota: { limit: 1e400, window: day }",
      "quota: { limit: 10, window: day, increment: 1e400 }",
      "rateLimit: 5/hour, cost: 1e400",
      "rateLimit: 5/hour, cost: 99999999999999999999999",
      "rateLimit: 5/hour, cost: 1.5",
  })
  void anOverflowingNumberIsALocatedProblem(String limit) {
    List<Problem> ps = problems("version: 1\ntools:\n  t:\n    rules:\n      - { name: r, " + limit + " }\n");
    assertEquals(1, ps.size(), () -> text(ps));
    Problem p = ps.get(0);
    assertEquals(5, p.line(), p::toString);
    assertTrue(p.column() > 0, p::toString);
    assertTrue(p.path().startsWith("tools.t.rules[0]."), p::toString);
    assertTrue(p.message().contains("whole number"), p::toString);
  }

  @Test
  void anInfiniteNumberInJsonIsALocatedProblem() {
    List<Problem> ps = assertThrows(PolicyException.class, () -> PolicyLoader.parse(
        "{\"version\": 1, \"tools\": {\"t\": {\"cost\": 1e400, \"rules\": [{\"name\": \"r\", \"rateLimit\": \"5/hour\"}]}}}",
        "hostile.json", true)).problems();
    assertEquals("tools.t.cost", ps.get(0).path(), () -> text(ps));
  }

  @Test
  void theWatcherSurvivesABadFileAndAppliesTheNextGoodOne(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("policy.yaml");
    Files.writeString(file, "version: 1\ntools: { a: { rules: [ { name: one, rateLimit: 1/hour } ] } }\n");
    BlockingQueue<PolicyException> errors = new LinkedBlockingQueue<>();
    BlockingQueue<PolicyFile> applied = new LinkedBlockingQueue<>();
    try (PolicyReloader reloader = new PolicyReloader(applied::add, file, errors::add).watch()) {
      Files.writeString(file, "version: 1\ntools: { a: { rules: [ { name: bad, tokenBucket: { capacity: 1e400, refill: 1/second } } ] } }\n");
      PolicyException e = errors.poll(60, TimeUnit.SECONDS);
      assertNotNull(e, "the bad file reached onError");
      assertTrue(e.getMessage().contains("capacity"), e::getMessage);
      Files.writeString(file, "version: 1\ntools: { a: { rules: [ { name: two, rateLimit: 1/hour } ] } }\n");
      for (;;) {
        PolicyFile f = applied.poll(60, TimeUnit.SECONDS);
        assertNotNull(f, "the watcher is still alive and applies the good file");
        if (f.policy().rules().get(0).name().equals("two")) {
          break;
        }
      }
    }
  }

  // ------------------------------------------------------------------ files that are not files (15.3)

  @Test
  void aDeviceFailsFast() {
    Path zero = Path.of("/dev/zero");
    assumeTrue(Files.exists(zero));
    PolicyException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
        () -> assertThrows(PolicyException.class, () -> PolicyLoader.load(zero)));
    assertTrue(e.getMessage().contains("not a regular file"), e::getMessage);
  }

  @Test
  void aNamedPipeFailsFastInsteadOfBlocking(@TempDir Path dir) throws Exception {
    Path fifo = dir.resolve("policy.yaml");
    Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assumeTrue(p.waitFor() == 0 && Files.exists(fifo), "mkfifo unavailable");
    PolicyException e = assertTimeoutPreemptively(Duration.ofSeconds(30),
        () -> assertThrows(PolicyException.class, () -> PolicyLoader.load(fifo)));
    assertTrue(e.getMessage().contains("not a regular file"), e::getMessage);
  }

  @Test
  void aDirectoryFailsWithAClearMessage(@TempDir Path dir) {
    PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.load(dir));
    assertTrue(e.getMessage().contains("is a directory"), e::getMessage);
  }

  // ------------------------------------------------------------------ regular expressions (15.4)

  private static final String HOSTILE_TEXT = "a".repeat(Condition.MAX_TEXT_LENGTH - 1) + "!";

  private static Decision decide(String pattern, String arg) {
    PolicyFile f = yaml("version: 1\ntools:\n  t:\n    rules:\n      - name: r\n        conditions:\n"
        + "          - { path: args.x, op: regex, value: '" + pattern + "' }\n");
    return RateLimiter.builder(f.policy()).build().acquire(CallContext.tool("t").arguments(Map.of("x", arg)).build());
  }

  @Test
  void alternationUnderARepetitionNeitherOverflowsNorThrows() {
    // java.util.regex overflowed the stack here on 5,000 characters
    assertTrue(decide("^([a-z0-9]|-)+$", "a".repeat(Condition.MAX_TEXT_LENGTH)).isGranted());
    assertFalse(decide("^([a-z0-9]|-)+$", HOSTILE_TEXT).isGranted());
  }

  @Test
  void nestedQuantifiersRunWithoutBacktracking() {
    // exponential backtracking in java.util.regex: 41 characters spun for seconds
    assertFalse(decide("^(a+)+$", HOSTILE_TEXT).isGranted());
    assertTrue(decide("^(a+)+$", "a".repeat(Condition.MAX_TEXT_LENGTH)).isGranted());
  }

  @ParameterizedTest
  @ValueSource(strings = {"^(a+)+\\\\1$", "^(?=a)a$", "(?!b)a", "(?<=a)b", "(?<n>a)\\\\k<n>"})
  void backreferencesAndLookaroundAreRejectedWhereTheyAreWritten(String pattern) {
    List<Problem> ps = problems("version: 1\ntools:\n  t:\n    rules:\n      - name: r\n        conditions:\n"
        + "          - { path: args.x, op: regex, value: \"" + pattern + "\" }\n");
    assertEquals(1, ps.size(), () -> text(ps));
    assertEquals("tools.t.rules[0].conditions[0].value", ps.get(0).path());
    assertEquals(7, ps.get(0).line());
    assertTrue(ps.get(0).message().contains("not supported"), ps.get(0)::toString);
  }

  @Test
  void theProgrammaticConditionRejectsABackreferenceWhenBuilt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Condition.of("args.x", Condition.Op.REGEX, "^(a+)+\\1$"));
    assertTrue(e.getMessage().contains("backreferences"), e::getMessage);
  }

  @Test
  void aTextLongerThanTheBoundFailsTheConditionUnread() {
    Condition c = Condition.of("args.x", Condition.Op.REGEX, "a");
    assertTrue(c.test(Map.of("x", "a".repeat(Condition.MAX_TEXT_LENGTH))));
    assertFalse(c.test(Map.of("x", "a".repeat(Condition.MAX_TEXT_LENGTH + 1))));
    Condition contains = Condition.of("args.x", Condition.Op.CONTAINS, "a");
    assertFalse(contains.test(Map.of("x", "a".repeat(Condition.MAX_TEXT_LENGTH + 1))));
  }

  // ------------------------------------------------------------------ silently accepted mistakes (15.8)

  private static Problem only(String yaml) {
    List<Problem> ps = problems(yaml);
    assertEquals(1, ps.size(), () -> text(ps));
    return ps.get(0);
  }

  @Test
  void exactOnACalendarWindowIsAnError() {
    Problem p = only("version: 1\ntools:\n  t:\n    rules:\n      - { name: r, rateLimit: 5/hour, exact: true }\n");
    assertEquals("tools.t.rules[0].exact", p.path());
    assertTrue(p.message().contains("calendar window"), p::toString);
  }

  @Test
  void roundUpMustBeABoolean() {
    Problem p = only("version: 1\ntools:\n  t:\n    rules:\n      - { name: r, rateLimit: 5/hour, cost: { from: args.n, roundUp: \"yes\" } }\n");
    assertEquals("tools.t.rules[0].cost.roundUp", p.path());
    assertTrue(p.message().contains("expected true or false, but found 'yes'"), p::toString);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "t: { rules: [ { name: r, rateLimit: 5/hour, cost: 6 } ] }",
      "t: { cost: 6, rules: [ { name: r, rateLimit: 5/hour } ] }",
      "t: { rules: [ { name: r, tokenBucket: { capacity: 5, refill: 1/second }, cost: 6 } ] }",
      "t: { rules: [ { name: r, quota: { limit: 5, window: day, increment: 6 } } ] }",
      "t: { rules: [ { name: r, concurrency: 5, cost: 6 } ] }",
  })
  void aCostLargerThanTheWholeLimitIsAnError(String target) {
    Problem p = only("version: 1\ntools: { " + target + " }\n");
    assertTrue(p.message().contains("could never grant"), p::toString);
    assertEquals(2, p.line(), p::toString);
  }

  @Test
  void aMissingVersionIsAWarning() {
    PolicyFile f = yaml("tools: { t: { rules: [ { name: r, rateLimit: 5/hour } ] } }\n");
    assertEquals(1, f.warnings().size(), f.warnings()::toString);
    assertEquals("version", f.warnings().get(0).path());
    assertTrue(yaml("version: 1\ntools: { t: { rules: [ { name: r, rateLimit: 5/hour } ] } }\n").warnings().isEmpty());
  }

  @Test
  void yamlAliasesAreRejected() {
    // the parser reads [*dollar] as the text "dollar": a policy that says something else than it seems
    Problem p = only("version: 1\ndescription: &dollar usd\ntools:\n  t:\n    rules:\n      - name: r\n        conditions:\n"
        + "          - { path: args.c, op: in, value: [*dollar] }\n");
    assertEquals("tools.t.rules[0].conditions[0].value[0]", p.path());
    assertEquals(8, p.line());
    assertTrue(p.message().contains("aliases (*dollar) are not supported"), p::toString);
  }

  @Test
  void failureModeIsCaseInsensitiveLikeEveryEnum() {
    assertEquals(RateLimitPolicy.FailureMode.FAIL_CLOSED, yaml("version: 1\nfailureMode: CLOSED\n").policy().failureMode());
    assertEquals(RateLimitPolicy.FailureMode.FAIL_OPEN, yaml("version: 1\nfailureMode: Open\n").policy().failureMode());
    Problem p = only("version: 1\nfailureMode: shut\n");
    assertTrue(p.message().contains("[open, closed]"), p::toString);
  }

  @Test
  void aDuplicateKeyNamesItsFullPath() {
    Problem p = only("version: 1\ntools:\n  t:\n    rules:\n      - name: r\n        rateLimit: 5/hour\n        rateLimit: 6/hour\n");
    assertEquals("tools.t.rules[0].rateLimit", p.path());
    assertEquals(7, p.line());
    assertTrue(p.message().contains("first at line 6"), p::toString);
  }

  @Test
  void aYamlSyntaxErrorIsCompleteAndNamesIndentation() {
    Problem p = only("version: 1\ntools:\n  t:\n    rules:\n      - name: a\n     rateLimit: 5/hour\n");
    assertTrue(p.message().contains("while parsing a block mapping"), p::toString);
    assertTrue(p.message().contains("expected <block end>"), "the whole message, not its first line: " + p);
    assertTrue(p.message().contains("indentation"), p::toString);
    assertFalse(p.message().contains("\n"), p::toString);
  }

  @Test
  void invalidCostMessagesNameJsonKinds() {
    PolicyFile f = yaml("version: 1\ntools: { t: { rules: [ { name: r, rateLimit: 5/hour, cost: { from: args.n } } ] } }\n");
    RateLimiter limiter = RateLimiter.builder(f.policy()).build();
    Decision.Denied list = (Decision.Denied) limiter.acquire(CallContext.tool("t").arguments(Map.of("n", List.of(1, 2))).build());
    assertTrue(list.message().contains("a list"), list::message);
    Decision.Denied obj = (Decision.Denied) limiter.acquire(CallContext.tool("t").arguments(Map.of("n", Map.of("a", 1))).build());
    assertTrue(obj.message().contains("an object"), obj::message);
    assertFalse(list.message().contains("List") || obj.message().contains("Map"), list.message() + " / " + obj.message());
  }

  // ------------------------------------------------------------------ unlisted (16.14)

  @Test
  void unlistedReplacesDefaultWhichStillWorksWithAWarning() {
    PolicyFile now = yaml("version: 1\nunlisted: deny\n");
    assertEquals(RateLimitPolicy.DefaultAction.DENY, now.policy().defaultAction());
    assertTrue(now.warnings().isEmpty());
    PolicyFile old = yaml("version: 1\ndefault: deny\n");
    assertEquals(RateLimitPolicy.DefaultAction.DENY, old.policy().defaultAction());
    assertEquals("default", old.warnings().get(0).path());
    assertTrue(old.warnings().get(0).message().contains("unlisted: deny"), old.warnings()::toString);
    assertTrue(only("version: 1\nunlisted: deny\ndefault: allow\n").message().contains("only 'unlisted'"));
  }

  // ------------------------------------------------------------------ every setting applies (16.3)

  @Test
  void theAdapterBuiltFromAFileAndItsReloaderApplyTheDenialMode(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("p.yaml");
    Files.writeString(file, "version: 1\ndefaults: { denial: error }\n");
    McpRateLimiting limits = McpRateLimiting.builder(PolicyLoader.load(file)).build();
    assertEquals(DenialMode.ERROR, limits.denialMode());
    Files.writeString(file, "version: 1\ndefaults: { denial: result }\nunlisted: deny\n");
    try (PolicyReloader reloader = new PolicyReloader(limits, file, e -> { })) {
      assertNotNull(reloader.reload());
    }
    assertEquals(DenialMode.RESULT, limits.denialMode());
    assertEquals(RateLimitPolicy.DefaultAction.DENY, limits.limiter().policy().defaultAction());
    assertInstanceOf(Decision.Denied.class, limits.limiter().acquire(CallContext.tool("x").build()));
  }
}
