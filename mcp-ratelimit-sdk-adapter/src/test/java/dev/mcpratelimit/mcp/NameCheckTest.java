package dev.mcpratelimit.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.policy.PolicyLoader;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Issue 16.4: a policy naming a tool, resource or prompt the server does not register is reported. */
class NameCheckTest {
  static final dev.mcpratelimit.RateLimitPolicy TYPO = PolicyLoader.parse(String.join("\n",
      "version: 1",
      "tools:",
      "  create_isue:",
      "    rules: [{ name: burst, rateLimit: 3/minute }]",
      "prompts:",
      "  summarise:",
      "    rules: [{ name: summaries, rateLimit: 60/minute }]"), "typo.yaml", false).policy();

  static McpServerFeatures.SyncToolSpecification tool(String name) {
    McpSchema.Tool t = McpSchema.Tool.builder(name).description(name)
        .inputSchema(new McpSchema.JsonSchema("object", Map.of(), List.of(), null, null, null)).build();
    return new McpServerFeatures.SyncToolSpecification(t,
        (ex, req) -> McpSchema.CallToolResult.builder().addTextContent("ok").isError(false).build());
  }

  @Test
  void wrappingToolsWarnsOnceAboutATypoAndKeepsServing() {
    McpRateLimiting limits = McpRateLimiting.builder(TYPO).build();
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<McpServerFeatures.SyncToolSpecification> wrapped;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      wrapped = limits.wrapSyncTools(List.of(tool("create_issue"), tool("search_code")));
      limits.wrapSyncTools(List.of(tool("create_issue"), tool("search_code"))); // the same problem: not logged again
    } finally {
      System.setErr(saved);
    }
    String log = err.toString(StandardCharsets.UTF_8);
    assertTrue(log.contains("WARN"), log);
    assertTrue(log.contains("rule 'burst' names tool 'create_isue', which the server does not register (did you mean 'create_issue'?)"), log);
    assertEquals(1, log.split("create_isue", -1).length - 1, log);
    assertEquals(2, wrapped.size());
    assertEquals(List.of("rule 'burst' names tool 'create_isue', which the server does not register (did you mean 'create_issue'?)",
        "rule 'summaries' names prompt 'summarise', which the server does not register"), limits.checkNames());
  }

  @Test
  void strictNamesFailTheWrapping() {
    McpRateLimiting limits = McpRateLimiting.builder(TYPO).strictNames(true).build();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> limits.wrapSyncTools(List.of(tool("create_issue"))));
    assertTrue(e.getMessage().contains("did you mean 'create_issue'?"), e.getMessage());
  }

  @Test
  void strictNamesCheckPromptsWhenAsked() {
    McpRateLimiting limits = McpRateLimiting.builder(PolicyLoader.parse(String.join("\n",
        "version: 1",
        "prompts:",
        "  summarise:",
        "    rules: [{ name: summaries, rateLimit: 60/minute }]"), "p.yaml", false).policy()).strictNames(true).build();
    limits.wrap(new McpServerFeatures.SyncPromptSpecification(new McpSchema.Prompt("summarize", "s", List.of()),
        (ex, req) -> new McpSchema.GetPromptResult("d", List.of())));
    IllegalStateException e = assertThrows(IllegalStateException.class, limits::checkNames);
    assertTrue(e.getMessage().contains("names prompt 'summarise'") && e.getMessage().contains("did you mean 'summarize'?"),
        e.getMessage());
  }

  @Test
  void aPolicyNamingOnlyRegisteredToolsIsQuiet() {
    McpRateLimiting limits = McpRateLimiting.builder(TYPO).strictNames(true).build();
    limits.wrapSyncTools(List.of(tool("create_isue")));
    limits.wrap(new McpServerFeatures.SyncPromptSpecification(new McpSchema.Prompt("summarise", "s", List.of()),
        (ex, req) -> new McpSchema.GetPromptResult("d", List.of())));
    assertEquals(List.of(), limits.checkNames());
  }
}
