package dev.mcpratelimit.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import tools.jackson.dataformat.yaml.YAMLMapper;
import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Condition;
import dev.mcpratelimit.Cost;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.MissingIdentity;
import dev.mcpratelimit.Mode;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.mcp.DenialMode;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyLoaderTest {
  /** The example policies (the examples module's), located by the pom, not by the working directory. */
  static final Path EXAMPLES = Path.of(java.util.Objects.requireNonNull(System.getProperty("mcpratelimit.examplePolicies"),
      "system property mcpratelimit.examplePolicies (set by this module's surefire configuration)"));

  static PolicyFile yaml(String text) {
    return PolicyLoader.parse(text, "test.yaml", false);
  }

  static Rule rule(PolicyFile f, String name) {
    return f.policy().rules().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
  }

  static List<Problem> problems(String text) {
    return assertThrows(PolicyException.class, () -> yaml(text)).problems();
  }

  @Test
  void designExampleLoadsEveryField() {
    PolicyFile f = PolicyLoader.load(EXAMPLES.resolve("github.yaml"));
    RateLimitPolicy p = f.policy();
    assertEquals(DenialMode.RESULT, f.denialMode());
    assertEquals(Set.of("delete_repository"), p.hidden());
    assertEquals(RateLimitPolicy.DefaultAction.ALLOW, p.defaultAction());
    assertEquals(LimitSpec.calendarWindow(3, WindowUnit.MINUTE), rule(f, "burst").limit());
    assertEquals("Slow down — max 3 issues per minute", rule(f, "burst").onDeny());
    assertEquals(LimitSpec.calendarWindow(20, WindowUnit.DAY), rule(f, "daily").limit());
    Rule search = rule(f, "search");
    assertEquals(LimitSpec.tokenBucket(10, 5, Duration.ofSeconds(1)), search.limit());
    assertEquals(List.of("user", "tool"), search.key().dimensions());
    assertEquals(Cost.of(2), search.cost(), "tool-level cost");
    assertEquals(Duration.ofSeconds(2), search.maxWait());
    assertEquals(LimitSpec.slidingWindow(100, Duration.ofMinutes(10)), rule(f, "heavy").limit());
    assertEquals(LimitSpec.concurrency(1), rule(f, "one at a time").limit());
    Rule max = rule(f, "max single charge");
    assertNull(max.limit());
    assertEquals(Condition.Op.LTE, max.conditions().get(0).op());
    Rule spend = rule(f, "daily spend cap");
    assertEquals(LimitSpec.calendarWindow(1_000_000, WindowUnit.DAY), spend.limit());
    assertEquals(Cost.fromArgument("args.amount"), spend.cost());
    assertEquals(List.of("tenant"), spend.key().dimensions());
    assertTrue(rule(f, "global").isWildcard());
    assertEquals(List.of("burst", "daily", "global"),
        p.rulesFor(CallContext.Method.TOOLS_CALL, "create_issue").stream().map(Rule::name).toList());
  }

  @Test
  void defaultsShorthandsAndOtherSections() {
    PolicyFile f = yaml("""
        version: 1
        defaults: { key: tenant, onMissingIdentity: deny, denial: error, mode: shadow }
        unlisted: deny
        failureMode: closed
        tools:
          a:
            rules:
              - { name: r1, quota: { limit: 5, window: hour, increment: 2 } }
              - { name: r2, slidingWindow: 10/30s, exact: true, mode: enforce, onMissingIdentity: skip, cost: { from: args.n, roundUp: true } }
              - { name: r3, tokenBucket: { capacity: 3, refill: 1/500ms }, wait: 1m, key: [user, args.repo, attr.apiKey] }
        resources:
          "*": { rules: [ { name: res, rateLimit: 10/hour } ] }
        prompts:
          p1: { rules: [ { name: pr, concurrency: 2, key: global } ] }
        """);
    assertEquals(DenialMode.ERROR, f.denialMode());
    assertEquals(RateLimitPolicy.DefaultAction.DENY, f.policy().defaultAction());
    assertEquals(RateLimitPolicy.FailureMode.FAIL_CLOSED, f.policy().failureMode());
    Rule r1 = rule(f, "r1");
    assertEquals(Mode.SHADOW, r1.mode());
    assertEquals(MissingIdentity.DENY, r1.onMissingIdentity());
    assertEquals(List.of("tenant"), r1.key().dimensions());
    assertEquals(Cost.of(2), r1.cost());
    Rule r2 = rule(f, "r2");
    assertEquals(LimitSpec.exactSlidingWindow(10, Duration.ofSeconds(30)), r2.limit());
    assertEquals(Mode.ENFORCE, r2.mode());
    assertEquals(MissingIdentity.SKIP, r2.onMissingIdentity());
    assertEquals(Cost.fromArgumentRoundingUp("args.n"), r2.cost());
    Rule r3 = rule(f, "r3");
    assertEquals(LimitSpec.tokenBucket(3, 1, Duration.ofMillis(500)), r3.limit());
    assertEquals(Duration.ofMinutes(1), r3.maxWait());
    assertEquals(List.of("user", "args.repo", "apiKey"), r3.key().dimensions());
    assertTrue(rule(f, "res").methods().contains(CallContext.Method.RESOURCES_READ));
    assertTrue(rule(f, "pr").methods().contains(CallContext.Method.PROMPTS_GET));
    assertEquals(List.of("global"), rule(f, "pr").key().dimensions());
  }

  @Test
  void everyOperatorLoads() {
    StringBuilder sb = new StringBuilder("version: 1\ntools:\n  t:\n    rules:\n");
    String[][] ops = {{"eq", "1"}, {"neq", "2"}, {"in", "[1, 2]"}, {"not_in", "[3]"}, {"lt", "9"}, {"lte", "9"},
        {"gt", "0"}, {"gte", "1"}, {"regex", "'^a'"}, {"contains", "x"}, {"exists", "true"}};
    for (String[] o : ops) {
      sb.append("      - { name: ").append(o[0]).append(", conditions: [{ path: args.v, op: ").append(o[0])
          .append(", value: ").append(o[1]).append(" }] }\n");
    }
    PolicyFile f = yaml(sb.toString());
    assertEquals(11, f.policy().rules().size());
    for (String[] o : ops) {
      assertEquals(Condition.Op.fromText(o[0]), rule(f, o[0]).conditions().get(0).op());
    }
  }

  @Test
  void errorsNameFileLineColumnAndFieldAndAllAreReportedAtOnce() {
    List<Problem> ps = problems("""
        version: 1
        defaults: { key: [usr] }
        tools:
          create_issue:
            rules:
              - { name: burst, rateLimt: 3/minute }
              - { name: burst, rateLimit: 3/fortnight }
              - { name: q, quota: { limit: 0 } }
              - { name: re, conditions: [{ path: args.t, op: regx, value: "a" }] }
              - { name: re2, conditions: [{ path: args.t, op: regex, value: "([a" }] }
              - { name: two, rateLimit: 1/hour, concurrency: 2, wait: soon }
              - { name: sw, slidingWindow: 10/forever }
        """);
    List<String> text = ps.stream().map(Problem::toString).toList();
    assertContains(text, "test.yaml:2:19: defaults.key[0]: unknown key dimension 'usr'");
    assertContains(text, "test.yaml:6:24: tools.create_issue.rules[0].rateLimt: unknown field 'rateLimt' (did you mean 'rateLimit'?)");
    assertContains(text, "test.yaml:7:17: tools.create_issue.rules[1].name: duplicate rule name 'burst'");
    assertContains(text, "tools.create_issue.rules[1].rateLimit: rateLimit is a calendar window: expected N/minute, N/hour or N/day, but found '3/fortnight'");
    assertContains(text, "tools.create_issue.rules[2].quota.limit: expected a positive whole number, but found 0");
    assertContains(text, "tools.create_issue.rules[2].quota: quota needs a window");
    assertContains(text, "tools.create_issue.rules[3].conditions[0].op: unknown operator 'regx'");
    assertContains(text, "(did you mean 'regex'?)");
    assertContains(text, "tools.create_issue.rules[4].conditions[0].value: regex on args.t does not compile");
    assertContains(text, "tools.create_issue.rules[5].concurrency: a rule has at most one limit");
    assertContains(text, "tools.create_issue.rules[5].wait: expected a positive duration");
    assertContains(text, "tools.create_issue.rules[6].slidingWindow: expected N/duration such as 100/10m, but found a bad duration 'forever'");
    for (Problem p : ps) {
      assertTrue(p.line() > 0 && p.column() > 0, p.toString());
    }
  }

  @Test
  void typeAndSyntaxErrors() {
    assertContains(problems("version: 1\ntools: [a, b]\n").stream().map(Problem::toString).toList(),
        "test.yaml:2:8: tools: expected an object of target names, but found a list");
    assertContains(problems("version: 1\ntools:\n  t: { rules: [ { name: x, concurrency: many } ] }\n").stream().map(Problem::toString).toList(),
        "tools.t.rules[0].concurrency: expected a positive whole number, but found text");
    assertContains(problems("version: 2\n").stream().map(Problem::toString).toList(), "version: expected version 1");
    List<Problem> syntax = problems("version: 1\ntools: {\n  a: [\n");
    assertTrue(syntax.get(0).message().startsWith("not valid YAML"), syntax.toString());
    assertTrue(syntax.get(0).line() > 0);
    List<Problem> json = assertThrows(PolicyException.class, () -> PolicyLoader.parse("{\"version\": 1,,}", "p.json", true)).problems();
    assertTrue(json.get(0).toString().startsWith("p.json:1:"), json.toString());
    assertContains(problems("").stream().map(Problem::toString).toList(), "the document is empty");
    assertContains(problems("version: 1\ntools:\n  t: { rules: [ { name: x, quota: { limit: 5, window: week } } ] }\n")
        .stream().map(Problem::toString).toList(), "quota.window: expected minute, hour or day, but found 'week'");
    assertContains(problems("version: 1\ntools:\n  t: { rules: [ { rateLimit: 1/hour } ] }\n")
        .stream().map(Problem::toString).toList(), "a rule needs a name");
  }

  static void assertContains(List<String> lines, String fragment) {
    assertTrue(lines.stream().anyMatch(l -> l.contains(fragment)), () -> "no problem contains «" + fragment + "» in " + lines);
  }

  /**
   * Mutated documents either give a PolicyException with a location, never anything else, or parse
   * into a whole policy; both kinds must occur.
   */
  @Property(tries = 400)
  @StatisticsReport(onFailureOnly = true)
  void mutatedDocumentsGiveLocatedPolicyErrors(@ForAll @IntRange(min = 0, max = 10_000) int seed) throws Exception {
    String base = Files.readString(EXAMPLES.resolve(seed % 2 == 0 ? "github.yaml" : "payments.json"));
    Statistics.coverage(c -> {
      c.check("parses").count(n -> n > 0);
      c.check("rejected").count(n -> n > 0);
    });
    java.util.Random r = new java.util.Random(seed);
    StringBuilder sb = new StringBuilder(base);
    int edits = 1 + r.nextInt(4);
    String junk = ":{}[],\"'-#&*!|>%@` \n\t0123456789abcxyz/.";
    for (int i = 0; i < edits && sb.length() > 0; i++) {
      int at = r.nextInt(sb.length());
      switch (r.nextInt(3)) {
        case 0 -> sb.deleteCharAt(at);
        case 1 -> sb.insert(at, junk.charAt(r.nextInt(junk.length())));
        default -> sb.setCharAt(at, junk.charAt(r.nextInt(junk.length())));
      }
    }
    PolicyFile parsed;
    try {
      parsed = PolicyLoader.parse(sb.toString(), "fuzz", seed % 2 == 1);
    } catch (PolicyException e) {
      assertFalse(e.problems().isEmpty());
      for (Problem p : e.problems()) {
        assertTrue(p.line() >= 0 && p.column() >= 0);
        assertFalse(p.message().isBlank());
      }
      assertTrue(e.problems().stream().anyMatch(p -> p.line() > 0), () -> "no location in " + e.problems());
      Statistics.collect("rejected");
      return;
    }
    Statistics.collect("parses");
    assertParsedPolicyIsWhole(parsed, sb.toString(), seed % 2 == 1);
  }

  /**
   * What a mutated document that still parses must be: the same policy when read again, every
   * promised value present, every rule reachable under each target it names, and usable by a limiter.
   */
  private static void assertParsedPolicyIsWhole(PolicyFile parsed, String text, boolean json) throws Exception {
    assertEquals("fuzz", parsed.source());
    assertNotNull(parsed.denialMode());
    for (Problem w : parsed.warnings()) {
      assertFalse(w.message().isBlank(), () -> "a blank warning in " + parsed.warnings());
    }
    RateLimitPolicy policy = parsed.policy();
    assertNotNull(policy.defaultAction());
    assertNotNull(policy.failureMode());
    assertNotNull(policy.hidden());
    assertNotNull(policy.description());
    PolicyFile again = PolicyLoader.parse(text, "fuzz", json);
    assertEquals(policy.toString(), again.policy().toString(), "reading the same text twice gives the same policy");
    assertEquals(parsed.denialMode(), again.denialMode());
    assertEquals(parsed.warnings(), again.warnings());
    RateLimiter limiter = RateLimiter.builder(policy).clock(FakeClock.create()).build();
    for (Rule rule : policy.rules()) {
      assertFalse(rule.name().isBlank(), () -> "a rule without a name in " + policy);
      assertNotNull(rule.targets());
      assertNotNull(rule.methods());
      assertNotNull(rule.conditions());
      assertNotNull(rule.key());
      assertNotNull(rule.cost());
      assertNotNull(rule.mode());
      assertNotNull(rule.maxWait());
      assertNotNull(rule.onMissingIdentity());
      for (String target : rule.targets()) {
        if (rule.isWildcard()) {
          continue;
        }
        for (CallContext.Method method : rule.methods()) {
          assertTrue(policy.rulesFor(method, target).contains(rule),
              () -> "rule '" + rule.name() + "' names " + method + " " + target + " but is not among its rules");
          Decision d = limiter.acquire(CallContext.of(method, target).user("u").tenant("t").build());
          assertNotNull(d, () -> "no decision for " + method + " " + target);
          if (d instanceof Decision.Granted g) {
            g.commit();
          }
        }
      }
    }
  }

  /** Validated with the JSON Schema validator the MCP SDK itself ships (draft 2020-12). */
  @Test
  @SuppressWarnings("unchecked")
  void everyExamplePolicyMatchesTheSchemaAndLoads() throws Exception {
    YAMLMapper yaml = YAMLMapper.builder().build();
    Map<String, Object> schema;
    try (InputStream in = PolicyLoader.class.getResourceAsStream("/dev/mcpratelimit/policy/policy.schema.json")) {
      schema = yaml.readValue(in, Map.class);
    }
    JsonSchemaValidator validator = McpJsonDefaults.getSchemaValidator();
    assertTrue(validator.validateSchema(schema).valid(), "the schema itself is valid");
    List<Path> files;
    try (Stream<Path> s = Files.list(EXAMPLES)) {
      files = s.filter(p -> p.toString().matches(".*\\.(ya?ml|json)")).sorted().toList();
    }
    assertTrue(files.size() >= 3, files.toString());
    for (Path p : files) {
      Map<String, Object> doc = yaml.readValue(p.toFile(), Map.class);
      JsonSchemaValidator.ValidationResponse r = validator.validate(schema, doc);
      assertTrue(r.valid(), p + ": " + r.errorMessage());
      PolicyLoader.load(p);
    }
    Map<String, Object> bad = yaml.readValue("version: 1\ntools:\n  t: { rules: [ { name: x, rateLimt: 1/hour } ] }\n", Map.class);
    assertFalse(validator.validate(schema, bad).valid(), "the schema rejects unknown fields too");
    Map<String, Object> badRate = yaml.readValue("version: 1\ntools:\n  t: { rules: [ { name: x, rateLimit: 1/week } ] }\n", Map.class);
    assertFalse(validator.validate(schema, badRate).valid(), "and bad rates");
  }

  @Test
  void reloadKeepsCountersOfUnchangedRulesAndResetsChangedOnes(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("policy.yaml");
    Files.writeString(file, """
        version: 1
        tools:
          a: { rules: [ { name: keep, rateLimit: 2/hour }, { name: change, rateLimit: 2/hour, key: [tenant] } ] }
          b: { rules: [ { name: change b, rateLimit: 1/hour } ] }
        """);
    FakeClock clock = FakeClock.create();
    RateLimiter limiter = RateLimiter.builder(PolicyLoader.load(file).policy()).clock(clock)
        .store(LimiterStore.inMemory(100, clock)).build();
    CallContext a = CallContext.tool("a").user("u").tenant("t").build();
    CallContext b = CallContext.tool("b").user("u").tenant("t").build();
    Decision.Granted held = (Decision.Granted) limiter.acquire(a);
    assertTrue(limiter.acquire(b).isGranted());
    List<PolicyException> errors = new ArrayList<>();
    try (PolicyReloader reloader = new PolicyReloader(limiter, file, errors::add)) {
      Files.writeString(file, """
          version: 1
          tools:
            a: { rules: [ { name: keep, rateLimit: 2/hour }, { name: change, rateLimit: 3/hour, key: [tenant] } ] }
            b: { rules: [ { name: change b, rateLimit: 1/hour, key: [tenant] } ] }
          """);
      assertTrue(reloader.reload() != null);
      assertTrue(limiter.acquire(a).isGranted(), "keep: 1 of 2 used; change: fresh");
      Decision d = limiter.acquire(a);
      assertEquals("keep", ((Decision.Denied) d).rule(), "the unchanged rule kept its count");
      assertTrue(limiter.acquire(b).isGranted(), "the rule whose key changed starts fresh");
      held.release(); // completes against the rules it was taken under
      assertTrue(limiter.acquire(a).isGranted());
      Files.writeString(file, "version: 1\ntools: { a: { rules: [ { name: x, rateLimit: nonsense } ] } }\n");
      assertNull(reloader.reload());
      assertEquals(1, errors.size());
      assertEquals("keep", limiter.policy().rules().get(0).name(), "a bad file keeps the old policy");
    }
  }

  @Test
  void watcherAppliesAChangedFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("policy.yaml");
    Files.writeString(file, "version: 1\ntools: { a: { rules: [ { name: one, rateLimit: 1/hour } ] } }\n");
    RateLimiter limiter = RateLimiter.builder(PolicyLoader.load(file).policy()).build();
    try (PolicyReloader reloader = new PolicyReloader(limiter, file, e -> { }).watch()) {
      Files.writeString(file, "version: 1\ntools: { a: { rules: [ { name: two, rateLimit: 1/hour } ] } }\n");
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!"two".equals(limiter.policy().rules().get(0).name()) && System.nanoTime() < deadline) {
        Thread.onSpinWait();
        Thread.yield();
      }
      assertEquals("two", limiter.policy().rules().get(0).name());
    }
  }

  @Test
  void cliPrintsTheRulesOrEveryProblem(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = PolicyCli.run(new String[] {"check", EXAMPLES.resolve("github.yaml").toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
    String table = out.toString(StandardCharsets.UTF_8);
    assertTrue(table.contains("daily spend cap"), table);
    assertTrue(table.contains("8 rules; unlisted allow; hidden [delete_repository]"), table);
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "version: 1\ntools: { a: { rules: [ { name: x, rateLimit: 1/week }, { name: x, concurency: 1 } ] } }\n");
    err.reset();
    code = PolicyCli.run(new String[] {"check", bad.toString()}, new PrintStream(out), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(1, code);
    String problems = err.toString(StandardCharsets.UTF_8);
    assertTrue(problems.contains("bad.yaml:2:"), problems);
    assertTrue(problems.contains("did you mean 'concurrency'"), problems);
    assertEquals(2, PolicyCli.run(new String[] {"lint"}, new PrintStream(out), new PrintStream(err)));
  }

  @Test
  void loadedPolicyIsEnforced() {
    PolicyFile f = PolicyLoader.load(EXAMPLES.resolve("payments.json"));
    RateLimiter l = RateLimiter.builder(f.policy()).build();
    Decision d = l.acquire(CallContext.tool("create_charge").tenant("t").arguments(Map.of("amount", 100, "currency", "gbp")).build());
    assertEquals("Only USD and EUR charges are permitted", assertInstanceOf(Decision.Denied.class, d).message());
    assertTrue(l.acquire(CallContext.tool("create_charge").tenant("t").arguments(Map.of("amount", 100, "currency", "usd")).build()).isGranted());
    assertFalse(l.acquire(CallContext.tool("refund").tenant("t").build()).isGranted(), "default: deny");
  }
}
