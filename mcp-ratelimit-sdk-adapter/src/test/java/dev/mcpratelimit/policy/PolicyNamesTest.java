package dev.mcpratelimit.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.CallContext;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyNamesTest {
  static final String POLICY = String.join("\n",
      "version: 1",
      "hide: [delete_repositry]",
      "tools:",
      "  create_isue:",
      "    rules: [{ name: burst, rateLimit: 3/minute }]",
      "  search_code:",
      "    rules: [{ name: search, rateLimit: 10/minute }]",
      "  \"*\":",
      "    rules: [{ name: global, rateLimit: 60/minute }]",
      "resources:",
      "  \"file:///docs/readme.md\":",
      "    rules: [{ name: docs, rateLimit: 60/minute }]",
      "  \"db://orders\":",
      "    rules: [{ name: orders, rateLimit: 60/minute }]",
      "prompts:",
      "  summarise:",
      "    rules: [{ name: summaries, rateLimit: 60/minute }]");

  static PolicyFile policy() {
    return PolicyLoader.parse(POLICY, "names.yaml", false);
  }

  @Test
  void aMisspeltToolIsReportedWithTheClosestRegisteredName() {
    List<PolicyNames.Unregistered> u = PolicyNames.unregistered(policy().policy(), CallContext.Method.TOOLS_CALL,
        List.of("create_issue", "search_code", "delete_repository"));
    assertEquals(2, u.size(), u.toString());
    assertEquals("rule 'burst' names tool 'create_isue', which the server does not register (did you mean 'create_issue'?)",
        u.get(0).message());
    assertEquals("hide names tool 'delete_repositry', which the server does not register (did you mean 'delete_repository'?)",
        u.get(1).message());
  }

  @Test
  void aNameFarFromEveryRegisteredOneGetsNoSuggestion() {
    List<PolicyNames.Unregistered> u = PolicyNames.unregistered(policy().policy(), CallContext.Method.TOOLS_CALL,
        List.of("search_code", "x"));
    assertEquals("create_isue", u.get(0).name());
    assertNull(u.get(0).suggestion());
    assertTrue(u.get(0).message().endsWith("does not register"), u.get(0).message());
  }

  @Test
  void wildcardRulesNameNothing() {
    assertEquals(List.of(), PolicyNames.unregistered(policy().policy(), CallContext.Method.TOOLS_CALL,
        List.of("create_isue", "search_code", "delete_repositry")));
  }

  @Test
  void aResourceTemplateRegistersTheUrisItMatches() {
    List<PolicyNames.Unregistered> u = PolicyNames.unregistered(policy().policy(), CallContext.Method.RESOURCES_READ,
        List.of("file:///docs/{name}"));
    assertEquals(1, u.size(), u.toString());
    assertEquals("db://orders", u.get(0).name());
    assertEquals("resource", u.get(0).message().split(" ")[3]);
  }

  @Test
  void promptsAreCheckedAgainstPrompts() {
    assertEquals("rule 'summaries' names prompt 'summarise', which the server does not register (did you mean 'summarize'?)",
        PolicyNames.unregistered(policy().policy(), CallContext.Method.PROMPTS_GET, List.of("summarize")).get(0).message());
  }
}
