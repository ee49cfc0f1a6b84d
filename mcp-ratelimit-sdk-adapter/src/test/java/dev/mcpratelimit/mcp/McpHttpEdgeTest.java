package dev.mcpratelimit.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.policy.PolicyFile;
import dev.mcpratelimit.policy.PolicyLoader;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.http.HttpServletRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link McpHttpRateLimitFilter} in front of a real Streamable HTTP server in embedded Tomcat:
 * raw requests from the JDK {@link java.net.http.HttpClient} and real SDK clients.
 */
class McpHttpEdgeTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static PolicyFile policy(String yaml) {
    return PolicyLoader.parse(yaml, "edge.yaml", false);
  }

  @Test
  void sessionCreationIsLimitedPerAddressWith429RetryAfterAndRateLimitHeaders() throws Exception {
    PolicyFile file = policy("""
        version: 1
        edge:
          initialize: { rules: [{ name: new sessions, rateLimit: 3/minute, key: [address] }] }
        """);
    try (IdentityHttpFixture f = fixture(file)) {
      f.clock.advance(Duration.ofSeconds(20));
      for (int i = 1; i <= 3; i++) {
        HttpResponse<String> ok = f.post(IdentityHttpFixture.initialize(i), Map.of());
        assertEquals(200, ok.statusCode(), ok.body());
        assertTrue(ok.headers().firstValue("Mcp-Session-Id").isPresent(), "the SDK read the replayed body and opened a session");
      }
      HttpResponse<String> denied = f.post(IdentityHttpFixture.initialize(4), Map.of());
      assertEquals(429, denied.statusCode());
      assertEquals("40", denied.headers().firstValue("Retry-After").orElseThrow());
      assertEquals("\"new sessions\";q=3;w=60", denied.headers().firstValue("RateLimit-Policy").orElseThrow());
      assertEquals("\"new sessions\";r=0;t=40", denied.headers().firstValue("RateLimit").orElseThrow());
      assertTrue(denied.headers().firstValue("Content-Type").orElseThrow().startsWith("application/json"));
      Map<String, Object> body = map(denied.body());
      assertEquals("2.0", body.get("jsonrpc"));
      assertEquals(4, body.get("id"), "the id read from the body");
      Map<String, Object> error = map(body.get("error"));
      assertEquals(McpRateLimiting.DEFAULT_ERROR_CODE, error.get("code"));
      assertEquals("new sessions", map(error.get("data")).get("rule"));
      assertEquals(40, map(error.get("data")).get("retryAfterSeconds"));

      assertThrows(RuntimeException.class, () -> f.client(Map.of()), "an SDK client cannot open a fourth session either");
      f.clock.advance(Duration.ofMinutes(1));
      McpSyncClient c = f.client(Map.of("X-User-Id", "u1"));
      assertEquals("ok echo", ((McpSchema.TextContent) IdentityHttpFixture.call(c, "echo").content().get(0)).text(),
          "a new minute: a session again, and requests behind the filter reach the SDK intact");
    }
  }

  @Test
  void mcpMethodAndMcpNameHeadersSelectAndKeyEdgeRulesWithoutReadingTheBody() throws Exception {
    PolicyFile file = policy("""
        version: 1
        edge:
          tools/call: { rules: [{ name: calls per tool name, rateLimit: 2/minute, key: [args.name] }] }
        """);
    try (IdentityHttpFixture f = fixture(file)) {
      Map<String, String> search = Map.of("Mcp-Session-Id", "s-1", "Mcp-Method", "tools/call", "Mcp-Name", "search");
      Map<String, String> searchB64 = Map.of("Mcp-Session-Id", "s-1", "Mcp-Method", "tools/call",
          "Mcp-Name", "=?base64?c2VhcmNo?=");
      Map<String, String> echo = Map.of("Mcp-Session-Id", "s-1", "Mcp-Method", "tools/call", "Mcp-Name", "echo");
      String notJson = "not json at all"; // the filter decides by the headers: the body is never looked at
      assertNotEquals(429, f.post(notJson, search).statusCode());
      assertNotEquals(429, f.post(notJson, searchB64).statusCode());
      HttpResponse<String> third = f.post(notJson, search);
      assertEquals(429, third.statusCode(), "the base64 Mcp-Name counted as 'search'");
      assertEquals(null, map(third.body()).get("id"), "the body was not read, so the id is unknown");
      assertNotEquals(429, f.post(notJson, echo).statusCode(), "another tool name has its own budget");
      assertNotEquals(429, f.post(notJson, Map.of("Mcp-Session-Id", "s-1", "Mcp-Method", "ping")).statusCode(),
          "other methods are not limited by the tools/call rule");
      assertEquals(429, f.post(notJson, Map.of("Mcp-Session-Id", "s-1", "Mcp-Method", "tools/call", "Mcp-Name", "search")).statusCode());
    }
  }

  @Test
  void withoutAHeaderTheMethodIsReadFromTheBodyAndASessionlessPostCountsAsInitialize() throws Exception {
    PolicyFile file = policy("""
        version: 1
        edge:
          initialize: { rules: [{ name: sessions, rateLimit: 1/minute, key: [address] }] }
          ping: { rules: [{ name: pings, rateLimit: 1/minute, key: [session] }] }
        """);
    try (IdentityHttpFixture f = fixture(file)) {
      String ping = "{\"jsonrpc\":\"2.0\",\"params\":{\"method\":\"initialize\"},\"id\":\"p-1\",\"method\":\"ping\"}";
      assertNotEquals(429, f.post(ping, Map.of("Mcp-Session-Id", "s-9")).statusCode());
      HttpResponse<String> second = f.post(ping, Map.of("Mcp-Session-Id", "s-9"));
      assertEquals(429, second.statusCode(), "top-level method ping, not the nested one");
      assertEquals("p-1", map(second.body()).get("id"));
      assertEquals("pings", map(map(map(second.body()).get("error")).get("data")).get("rule"));
      assertNotEquals(429, f.post(IdentityHttpFixture.initialize(1), Map.of()).statusCode());
      HttpResponse<String> sneaky = f.post(ping, Map.of("Mcp-Method", "ping"));
      assertEquals(429, sneaky.statusCode(), "a POST without a session creates one, whatever it claims");
      assertEquals("sessions", map(map(map(sneaky.body()).get("error")).get("data")).get("rule"));
    }
  }

  @Test
  void toolCallDenialsBehindTheFilterKeepTheirMcpAnswer() throws Exception {
    PolicyFile file = policy("""
        version: 1
        tools:
          echo: { rules: [{ name: one echo, rateLimit: 1/minute }] }
        edge:
          "*": { rules: [{ name: requests, rateLimit: 1000/minute, key: [address] }] }
        """);
    try (IdentityHttpFixture f = fixture(file)) {
      McpSyncClient c = f.client(Map.of("X-User-Id", "u1"));
      assertEquals(false, IdentityHttpFixture.call(c, "echo").isError());
      McpSchema.CallToolResult denied = IdentityHttpFixture.call(c, "echo");
      assertEquals(true, denied.isError(), "a tool result, not an HTTP 429");
      @SuppressWarnings("unchecked")
      Map<String, Object> s = (Map<String, Object>) denied.structuredContent();
      assertEquals("one echo", s.get("rule"));
    }
  }

  @Test
  void rateLimitedErrorModeGivesTheEdgeBodyTheSep3304Shape() throws Exception {
    PolicyFile file = policy("""
        version: 1
        defaults: { denial: rate_limited_error }
        edge:
          initialize: { rules: [{ name: sessions, rateLimit: 1/minute, key: [address] }] }
        """);
    try (IdentityHttpFixture f = fixture(file)) {
      f.post(IdentityHttpFixture.initialize(1), Map.of());
      HttpResponse<String> denied = f.post(IdentityHttpFixture.initialize(2), Map.of());
      assertEquals(429, denied.statusCode());
      Map<String, Object> error = map(map(denied.body()).get("error"));
      assertEquals(-32023, error.get("code"));
      assertEquals(60_000, map(error.get("data")).get("retryAfterMs"));
      assertEquals("60", denied.headers().firstValue("Retry-After").orElseThrow());
    }
  }

  @Test
  void aRequestToIdentityFunctionKeysTheEdgeAndItsHostileValuesAreDropped() throws Exception {
    PolicyFile file = policy("""
        version: 1
        edge:
          tools/list: { rules: [{ name: lists per account, rateLimit: 1/minute, key: [tenant], onMissingIdentity: deny }] }
        """);
    Function<HttpServletRequest, Map<String, String>> byAccount = req -> {
      String account = req.getHeader("X-Account");
      if (account == null) {
        return null; // anonymous
      }
      Map<String, String> m = new HashMap<>();
      m.put("tenant", account.equals("evil") ? "a\u0001b" : account);
      m.put("plan", null);
      return m;
    };
    try (IdentityHttpFixture f = new IdentityHttpFixture(file.policy(), file.denialMode(), true, byAccount)) {
      String list = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\"}";
      Map<String, String> acme = Map.of("Mcp-Session-Id", "s-1", "X-Account", "acme");
      Map<String, String> globex = Map.of("Mcp-Session-Id", "s-1", "X-Account", "globex");
      assertNotEquals(429, f.post(list, acme).statusCode(), "first list of acme");
      assertEquals(429, f.post(list, acme).statusCode(), "acme's budget is spent");
      assertNotEquals(429, f.post(list, globex).statusCode(), "globex, another value of the function, has its own");
      HttpResponse<String> evil = f.post(list, Map.of("Mcp-Session-Id", "s-1", "X-Account", "evil"));
      assertEquals(403, evil.statusCode(), "a control character is dropped: no tenant, and the rule denies the missing identity");
      assertEquals("missing_identity", map(map(map(evil.body()).get("error")).get("data")).get("error"), evil.body());
      assertEquals(403, f.post(list, Map.of("Mcp-Session-Id", "s-1")).statusCode(), "a null map is an anonymous caller");
    }
  }

  private static IdentityHttpFixture fixture(PolicyFile file) throws Exception {
    return new IdentityHttpFixture(file.policy(), file.denialMode(), true);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object json) {
    if (json instanceof String s) {
      return JSON.readValue(s, Map.class);
    }
    return (Map<String, Object>) json;
  }
}
