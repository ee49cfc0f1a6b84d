package dev.mcpratelimit.policy;

import static dev.mcpratelimit.policy.PolicyLoaderTest.problems;
import static dev.mcpratelimit.policy.PolicyLoaderTest.rule;
import static dev.mcpratelimit.policy.PolicyLoaderTest.yaml;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.HideRule;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.mcp.DenialMode;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The policy file's identity conditions, rule selectors, conditional hides and edge section. */
class IdentityPolicyFileTest {

  @Test
  void examplePlansReadAsSelectorsConditionalHideAndEdgeRules() throws Exception {
    PolicyFile f = PolicyLoader.load(PolicyLoaderTest.EXAMPLES.resolve("plans.yaml"));
    Rule free = rule(f, "free plan");
    assertEquals("[identity.plan neq pro]", free.when().toString());
    assertTrue(free.conditions().isEmpty(), "a selector, not a requirement");
    assertTrue(free.appliesTo(CallContext.tool("x").attribute("plan", "free").build()));
    assertFalse(rule(f, "pro plan").appliesTo(CallContext.tool("x").attribute("plan", "free").build()));
    List<HideRule> hides = f.policy().hideRules();
    assertEquals(1, hides.size());
    assertEquals("delete_repository unless [identity.role eq admin]", hides.get(0).toString());
    assertTrue(f.policy().hidden().isEmpty());
    Rule sessions = rule(f, "new sessions");
    assertEquals(Set.of(CallContext.Method.HTTP_REQUEST), sessions.methods());
    assertEquals(Set.of("initialize"), sessions.targets());
    assertEquals(List.of("address"), sessions.key().dimensions());
    assertTrue(rule(f, "http requests").isWildcard());
    assertEquals(DenialMode.RESULT, f.denialMode());
  }

  @Test
  void hideEntriesMixNamesAndConditions() {
    PolicyFile f = yaml("""
        version: 1
        defaults: { denial: rate_limited_error }
        hide:
          - legacy
          - { tool: beta, when: [{ path: identity.plan, op: in, value: [free, trial] }] }
        """);
    assertEquals(Set.of("legacy"), f.policy().hidden());
    assertTrue(f.policy().isHiddenFor(CallContext.tool("beta").attribute("plan", "trial").build()));
    assertFalse(f.policy().isHiddenFor(CallContext.tool("beta").attribute("plan", "pro").build()));
    assertEquals(DenialMode.RATE_LIMITED_ERROR, f.denialMode());
  }

  @Test
  void mistakesAreNamedWithTheirPlace() {
    List<Problem> ps = problems("""
        version: 1
        hide:
          - { tool: drop, when: [{ path: args.force, op: eq, value: true }] }
          - { tool: purge, unles: [] }
          - { when: [] }
          - { tool: wipe, unless: [{ path: identity.session, op: exists }] }
        tools:
          echo:
            rules:
              - { name: a, rateLimit: 1/minute, key: [address] }
              - { name: b, rateLimit: 1/minute, when: { path: identity.plan } }
              - { name: c, when: [{ path: identity.plan, op: eq, value: pro }] }
              - { name: d, rateLimit: 1/minute, when: [{ path: "identity.", op: eq, value: x }] }
        """);
    String all = String.join("\\n", ps.stream().map(Problem::toString).toList());
    assertTrue(all.contains("test.yaml:3:5: hide[0]: hide of 'drop': when condition on 'args.force' reads an argument"), all);
    assertTrue(all.contains("hide[1].unles: unknown field 'unles' (did you mean 'unless'?)"), all);
    assertTrue(all.contains("hide[2]: a hide entry needs the tool it hides"), all);
    assertTrue(all.contains("hide[3]: hide of 'wipe': unless condition on 'identity.session' reads the MCP session"), all);
    assertTrue(all.contains("tools.echo.rules[0].key[0]: unknown key dimension 'address'"), all);
    assertTrue(all.contains("tools.echo.rules[1].when: expected a list of {path, op, value}"), all);
    assertTrue(all.contains("tools.echo.rules[2]: rule 'c' has neither a limit"), all);
    assertTrue(all.contains("tools.echo.rules[3].when[0].value: identity path must name an attribute"), all);
  }
}
