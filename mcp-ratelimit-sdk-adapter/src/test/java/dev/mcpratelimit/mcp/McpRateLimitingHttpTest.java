package dev.mcpratelimit.mcp;

import static dev.mcpratelimit.mcp.McpServerFixture.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The adapter end to end: real SDK servers (sync, async, stateless) over Streamable HTTP in
 * embedded Tomcat, real SDK clients, identity from gateway headers.
 */
class McpRateLimitingHttpTest {

  static RateLimitPolicy policy() {
    return RateLimitPolicy.builder()
        .hide("delete_repository")
        .rule(Rule.builder("hourly issue limit").targets("create_issue")
            .key(KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tool()))
            .limit(LimitSpec.fixedWindow(5, WindowUnit.HOUR)).onDeny("Hourly limit of 5 new issues reached").build())
        .rule(Rule.builder("search").targets("search").key(KeyResolvers.tool())
            .limit(LimitSpec.tokenBucket(3, 1, Duration.ofMinutes(1))).build())
        .rule(Rule.builder("one try").targets("fail", "soft_fail").limit(LimitSpec.fixedWindow(1, WindowUnit.HOUR)).build())
        .rule(Rule.builder("tenant").key(KeyResolvers.tenant()).limit(LimitSpec.fixedWindow(10, WindowUnit.HOUR)).build())
        .build();
  }

  static Map<String, Object> structured(McpSchema.CallToolResult r) {
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) r.structuredContent();
    return m;
  }

  @ParameterizedTest
  @EnumSource(McpServerFixture.Kind.class)
  void perUserLimitWithEveryFieldOfTheDenial(McpServerFixture.Kind kind) throws Exception {
    try (McpServerFixture f = new McpServerFixture(kind, policy(), DenialMode.RESULT)) {
      f.clock.set(Instant.parse("2026-11-22T14:19:18.800Z"));
      McpSyncClient alice = f.client("alice", "acme");
      for (int i = 0; i < 5; i++) {
        assertFalse(call(alice, "create_issue").isError(), "call " + i);
      }
      McpSchema.CallToolResult denied = call(alice, "create_issue");
      assertTrue(denied.isError());
      assertEquals("Rate limit exceeded: Hourly limit of 5 new issues reached. Retry after 2442 s.",
          ((McpSchema.TextContent) denied.content().get(0)).text());
      Map<String, Object> s = structured(denied);
      assertEquals("rate_limited", s.get("error"));
      assertEquals("hourly issue limit", s.get("rule"));
      assertEquals(List.of("user", "tool"), s.get("scope"));
      assertEquals(5, ((Number) s.get("limit")).intValue());
      assertEquals("PT1H", s.get("window"));
      assertEquals(0, ((Number) s.get("remaining")).intValue());
      assertEquals(1, ((Number) s.get("cost")).intValue());
      assertEquals(2_441_200L, ((Number) s.get("retryAfterMs")).longValue());
      assertEquals(2442, ((Number) s.get("retryAfterSeconds")).intValue());
      assertEquals("2026-11-22T15:00:00Z", s.get("resetAt"));
      assertEquals("Hourly limit of 5 new issues reached", s.get("message"));
      assertEquals("\"hourly issue limit\";q=5;w=3600", s.get("policy"));
      assertEquals("\"hourly issue limit\";r=0;t=2442", s.get("ratelimit"));
      assertEquals(5, f.handlerCalls.get(), "the denied call never reached the handler");
      assertFalse(call(f.client("bob", "acme"), "create_issue").isError(), "another user is untouched");
    }
  }

  @ParameterizedTest
  @EnumSource(McpServerFixture.Kind.class)
  void perTenantPerToolAndWildcardRulesStack(McpServerFixture.Kind kind) throws Exception {
    try (McpServerFixture f = new McpServerFixture(kind, policy(), DenialMode.RESULT)) {
      McpSyncClient a1 = f.client("a1", "acme");
      McpSyncClient a2 = f.client("a2", "acme");
      McpSyncClient g1 = f.client("g1", "globex");
      for (int i = 0; i < 3; i++) {
        assertFalse(call(i % 2 == 0 ? a1 : g1, "search").isError());
      }
      McpSchema.CallToolResult perTool = call(a2, "search");
      assertEquals("search", structured(perTool).get("rule"), "the search tool's own ceiling, shared by everyone");
      int acme = 1; // a1 searched twice, g1 once... count acme's tenant use: a1 x2
      acme = 2;
      while (acme < 10) {
        assertFalse(call(acme % 2 == 0 ? a1 : a2, "echo").isError());
        acme++;
      }
      McpSchema.CallToolResult tenant = call(a2, "echo");
      assertEquals("tenant", structured(tenant).get("rule"), "acme's tenant budget is spent");
      assertEquals(List.of("tenant"), structured(tenant).get("scope"));
      assertFalse(call(g1, "echo").isError(), "globex is untouched by acme's traffic");
    }
  }

  @ParameterizedTest
  @EnumSource(McpServerFixture.Kind.class)
  void jsonRpcErrorModeCarriesTheSameObject(McpServerFixture.Kind kind) throws Exception {
    try (McpServerFixture f = new McpServerFixture(kind, policy(), DenialMode.ERROR)) {
      McpSyncClient c = f.client("alice", "acme");
      for (int i = 0; i < 3; i++) {
        call(c, "search");
      }
      McpError e = assertThrows(McpError.class, () -> McpServerFixture.callRetryingDroppedConnection(c, "search"));
      assertEquals(McpRateLimiting.DEFAULT_ERROR_CODE, e.getJsonRpcError().code());
      assertTrue(e.getMessage().contains("Rate limit exceeded"), e.getMessage());
      @SuppressWarnings("unchecked")
      Map<String, Object> data = (Map<String, Object>) e.getJsonRpcError().data();
      assertEquals("search", data.get("rule"));
      assertEquals(60, ((Number) data.get("retryAfterSeconds")).intValue(), "one token a minute");
    }
  }

  @ParameterizedTest
  @EnumSource(McpServerFixture.Kind.class)
  void failedCallsAreRefunded(McpServerFixture.Kind kind) throws Exception {
    try (McpServerFixture f = new McpServerFixture(kind, policy(), DenialMode.RESULT)) {
      McpSyncClient c = f.client("alice", "acme");
      for (int i = 0; i < 3; i++) {
        // the handler throws: the client sees an error, and the call's cost is given back
        try {
          McpSchema.CallToolResult r = call(c, "fail");
          assertTrue(r.isError());
          assertFalse(((McpSchema.TextContent) r.content().get(0)).text().contains("Rate limit"));
        } catch (RuntimeException expected) { // McpError, or the connection dropped by the server's error path
          assertFalse(String.valueOf(expected.getMessage()).contains("Rate limit"));
        }
        assertTrue(call(c, "soft_fail").isError(), "isError result is passed through");
      }
      assertEquals(6, f.handlerCalls.get(), "with refunds, the one-per-hour rule never denied");
    }
  }

  @ParameterizedTest
  @EnumSource(McpServerFixture.Kind.class)
  void hiddenToolsAreNotListedAndDeniedWhenCalled(McpServerFixture.Kind kind) throws Exception {
    try (McpServerFixture f = new McpServerFixture(kind, policy(), DenialMode.RESULT)) {
      McpSyncClient c = f.client("alice", "acme");
      List<String> names = c.listTools().tools().stream().map(McpSchema.Tool::name).toList();
      assertTrue(names.contains("echo"));
      assertFalse(names.contains("delete_repository"), names.toString());
      McpSchema.CallToolResult r = call(c, "delete_repository");
      assertTrue(r.isError());
      assertEquals("hidden", structured(r).get("error"));
      assertEquals(0, f.handlerCalls.get());
    }
  }

  @ParameterizedTest
  @EnumSource(McpServerFixture.Kind.class)
  void upstreamThrottlingBacksOffTheTenant(McpServerFixture.Kind kind) throws Exception {
    try (McpServerFixture f = new McpServerFixture(kind, policy(), DenialMode.RESULT)) {
      McpSyncClient c = f.client("alice", "acme");
      McpSchema.CallToolResult first = call(c, "github");
      assertEquals("upstream_backoff", structured(first).get("error"));
      assertEquals(30, ((Number) structured(first).get("retryAfterSeconds")).intValue());
      McpSchema.CallToolResult second = call(f.client("bob", "acme"), "echo");
      assertEquals("upstream_backoff", structured(second).get("error"), "the whole tenant backs off");
      assertEquals(1, f.handlerCalls.get(), "the second call never reached the handler");
      assertFalse(call(f.client("g", "globex"), "echo").isError());
      f.clock.advance(Duration.ofSeconds(30));
      assertFalse(call(c, "echo").isError());
    }
  }

  @Test
  void anonymousCallersShareOneBucket() throws Exception {
    RateLimitPolicy p = RateLimitPolicy.builder()
        .rule(Rule.builder("per user").limit(LimitSpec.fixedWindow(2, WindowUnit.HOUR)).build()).build();
    try (McpServerFixture f = new McpServerFixture(McpServerFixture.Kind.SYNC, p, DenialMode.RESULT)) {
      assertFalse(call(f.client(null, null), "echo").isError());
      assertFalse(call(f.client(null, null), "echo").isError());
      assertTrue(call(f.client(null, null), "echo").isError());
      assertFalse(call(f.client("alice", null), "echo").isError());
    }
  }

  @Test
  void reservedErrorCodesAreRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> McpRateLimiting.builder(policy()).errorCode(-32001));
    assertTrue(e.getMessage().contains("-32001"));
    assertInstanceOf(McpRateLimiting.class, McpRateLimiting.builder(policy()).errorCode(429).build());
  }
}
