package dev.mcpratelimit.mcp;

import static dev.mcpratelimit.mcp.IdentityHttpFixture.call;
import static dev.mcpratelimit.mcp.IdentityHttpFixture.listed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.policy.PolicyFile;
import dev.mcpratelimit.policy.PolicyLoader;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Plan tiers, per-identity visibility and the SEP-3304 error, over real Streamable HTTP with real
 * SDK clients whose identity headers differ.
 */
class PlansAndVisibilityHttpTest {

  @Test
  void theExamplePlansGiveFreeTenTheProHundredAndNoPlanTheFreeLimit() throws Exception {
    PolicyFile file = PolicyLoader.load(Path.of(System.getProperty("mcpratelimit.examplePolicies"), "plans.yaml"));
    try (IdentityHttpFixture f = new IdentityHttpFixture(file.policy(), file.denialMode(), false)) {
      McpSyncClient free = f.client(Map.of("X-Tenant-Id", "acme", "X-Plan", "free"));
      McpSyncClient pro = f.client(Map.of("X-Tenant-Id", "globex", "X-Plan", "pro"));
      McpSyncClient none = f.client(Map.of("X-Tenant-Id", "initech"));
      assertEquals(10, allowed(free, 11));
      McpSchema.CallToolResult denied = call(free, "echo");
      assertTrue(denied.isError());
      assertEquals("free plan", structured(denied).get("rule"));
      assertTrue(text(denied).contains("The free plan allows 10 calls a minute"), text(denied));
      assertEquals(100, allowed(pro, 101), "the pro plan's own rule, not the free one");
      assertEquals("pro plan", structured(call(pro, "search")).get("rule"));
      assertEquals(10, allowed(none, 11), "a tenant without a plan gets the free limit");
      f.clock.advance(Duration.ofMinutes(1));
      assertEquals(10, allowed(free, 11), "a new minute, a new budget");
    }
  }

  @Test
  void aToolIsListedForACallerExactlyWhenThatCallerMayCallIt() throws Exception {
    PolicyFile file = PolicyLoader.parse("""
        version: 1
        hide:
          - { tool: delete_repository, unless: [{ path: identity.role, op: eq, value: admin }] }
          - { tool: beta_report, when: [{ path: identity.plan, op: eq, value: free }] }
        tools:
          "*": { rules: [{ name: plenty, rateLimit: 1000/minute }] }
        """, "visibility.yaml", false);
    try (IdentityHttpFixture f = new IdentityHttpFixture(file.policy(), DenialMode.RESULT, false)) {
      McpSyncClient admin = f.client(Map.of("X-User-Id", "ada", "X-Role", "admin", "X-Plan", "free"));
      McpSyncClient dev = f.client(Map.of("X-User-Id", "dan", "X-Role", "dev", "X-Plan", "pro"));
      McpSyncClient anon = f.client(Map.of());
      assertEquals(List.of("delete_repository", "echo", "search"), listed(admin));
      assertEquals(List.of("beta_report", "echo", "search"), listed(dev));
      assertEquals(List.of("beta_report", "echo", "search"), listed(anon), "no role: the admin tool stays hidden");
      for (McpSyncClient c : List.of(admin, dev, anon)) {
        List<String> visible = listed(c);
        for (String tool : IdentityHttpFixture.TOOLS) {
          McpSchema.CallToolResult r = call(c, tool);
          if (visible.contains(tool)) {
            assertFalse(Boolean.TRUE.equals(r.isError()), tool + " is listed, so it must be callable: " + text(r));
            assertEquals("ok " + tool, text(r));
          } else {
            assertTrue(r.isError(), tool + " is not listed, so it must not be callable");
            assertEquals("hidden", structured(r).get("error"), tool);
          }
        }
      }
      int before = f.handlerCalls.get();
      call(dev, "delete_repository");
      assertEquals(before, f.handlerCalls.get(), "a hidden tool's handler never runs");
    }
  }

  @Test
  void rateLimitedErrorModeAnswersInTheSep3304ShapeAndOtherDenialsAsBefore() throws Exception {
    PolicyFile file = PolicyLoader.parse("""
        version: 1
        defaults: { denial: rate_limited_error }
        hide: [delete_repository]
        tools:
          echo: { rules: [{ name: one a minute, rateLimit: 1/minute }] }
        """, "sep.yaml", false);
    assertEquals(DenialMode.RATE_LIMITED_ERROR, file.denialMode());
    try (IdentityHttpFixture f = new IdentityHttpFixture(file.policy(), file.denialMode(), false)) {
      McpSyncClient c = f.client(Map.of("X-User-Id", "u1"));
      f.clock.advance(Duration.ofSeconds(15));
      assertEquals("ok echo", text(call(c, "echo")));
      McpError e = assertThrows(McpError.class, () -> McpServerFixture.callAcrossClosedConnections(c, "echo"));
      assertEquals(-32023, e.getJsonRpcError().code());
      @SuppressWarnings("unchecked")
      Map<String, Object> data = (Map<String, Object>) e.getJsonRpcError().data();
      assertEquals(45_000, ((Number) data.get("retryAfterMs")).longValue(), "until the next minute");
      assertEquals(1, ((Number) data.get("limit")).intValue());
      assertEquals(0, ((Number) data.get("remaining")).intValue());
      assertEquals("one a minute", data.get("rule"), "the structured denial follows the SEP's fields");
      assertEquals(List.of("retryAfterMs", "limit", "remaining"), List.copyOf(data.keySet()).subList(0, 3));
      McpError hidden = assertThrows(McpError.class, () -> McpServerFixture.callAcrossClosedConnections(c, "delete_repository"));
      assertEquals(McpRateLimiting.DEFAULT_ERROR_CODE, hidden.getJsonRpcError().code(), "not a rate limit: today's code");
    }
  }

  private static int allowed(McpSyncClient c, int tries) {
    int n = 0;
    for (int i = 0; i < tries; i++) {
      if (!Boolean.TRUE.equals(call(c, "echo").isError())) {
        n++;
      }
    }
    return n;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> structured(McpSchema.CallToolResult r) {
    return (Map<String, Object>) r.structuredContent();
  }

  private static String text(McpSchema.CallToolResult r) {
    return ((McpSchema.TextContent) r.content().get(0)).text();
  }
}
