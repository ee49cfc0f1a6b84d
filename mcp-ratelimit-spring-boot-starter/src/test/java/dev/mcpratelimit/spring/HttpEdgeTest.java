package dev.mcpratelimit.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.mcp.McpHttpRateLimitFilter;
import dev.mcpratelimit.mcp.McpRateLimiting;
import jakarta.servlet.ServletContext;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.web.context.WebApplicationContext;

/**
 * The starter's HTTP edge on a real Spring AI Streamable HTTP server on a random port, behind
 * Spring Security (HTTP Basic users alice, bob, carol): raw MCP POSTs from the JDK
 * {@link java.net.http.HttpClient}, limited by the policy's {@code edge:} rules per principal and per the
 * tenant the starter's identity resolver reads from a mapped header.
 */
@SpringBootTest(classes = TestMcpApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "spring.ai.mcp.server.protocol=STREAMABLE",
    "mcp.ratelimit.policy=classpath:edge-policy.yaml",
    "mcp.ratelimit.identity.headers.X-Tenant-Id=tenant",
    "management.health.redis.enabled=false"})
class HttpEdgeTest {
  @LocalServerPort
  int port;

  @Autowired
  FilterRegistrationBean<McpHttpRateLimitFilter> registration;

  @Autowired
  WebApplicationContext context;

  private RawMcp raw;

  @BeforeEach
  void freshWindows() {
    raw = new RawMcp(port);
    TestMcpApp.CLOCK.advance(Duration.ofHours(1)); // every minute window of earlier tests is over
  }

  @Test
  void theFilterIsMappedOnSpringAisEndpointRightAfterSpringSecurity() {
    assertTrue(registration.isEnabled(), "the policy has an edge section");
    assertEquals(-99, registration.getOrder(), "spring.security.filter.order (-100) + 1");
    ServletContext servlet = context.getServletContext();
    assertNotNull(servlet);
    assertEquals(java.util.List.of("/mcp"),
        java.util.List.copyOf(servlet.getFilterRegistration(McpRateLimitHttpEdgeAutoConfiguration.FILTER_NAME).getUrlPatternMappings()));
  }

  @Test
  void sessionCreationIsLimitedPerPrincipalWith429RetryAfterAndRateLimitHeaders() throws Exception {
    for (int i = 1; i <= 2; i++) {
      HttpResponse<String> ok = post("alice", initialize(i), Map.of());
      assertEquals(200, ok.statusCode(), ok.body());
      assertTrue(ok.headers().firstValue("Mcp-Session-Id").isPresent(), "Spring AI read the replayed body and opened a session");
    }
    HttpResponse<String> denied = post("alice", initialize(3), Map.of());
    assertEquals(429, denied.statusCode(), denied.body());
    long retry = Long.parseLong(denied.headers().firstValue("Retry-After").orElseThrow());
    assertTrue(retry >= 1 && retry <= 60, "Retry-After " + retry);
    assertEquals("\"new sessions\";q=2;w=60", denied.headers().firstValue("RateLimit-Policy").orElseThrow());
    assertEquals("\"new sessions\";r=0;t=" + retry, denied.headers().firstValue("RateLimit").orElseThrow());
    Map<String, Object> body = map(denied.body());
    assertEquals(3, body.get("id"), "the id read from the body");
    Map<String, Object> error = map(body.get("error"));
    assertEquals(McpRateLimiting.DEFAULT_ERROR_CODE, error.get("code"));
    assertEquals("new sessions", map(error.get("data")).get("rule"));
    assertEquals("rate_limited", map(error.get("data")).get("error"));

    assertEquals(200, post("bob", initialize(1), Map.of()).statusCode(), "bob, another principal, has his own budget");
    assertEquals(401, post(null, initialize(1), Map.of()).statusCode(),
        "Spring Security answers the anonymous caller before the edge counts it");
    TestMcpApp.CLOCK.advance(Duration.ofSeconds(retry));
    assertEquals(200, post("alice", initialize(4), Map.of()).statusCode(), "after Retry-After alice may open a session again");
  }

  @Test
  void rawRequestsBeyondTheEdgeLimitGet429PerTenantOfTheStartersIdentityResolver() throws Exception {
    HttpResponse<String> init = post("carol", initialize(1), Map.of());
    assertEquals(200, init.statusCode(), init.body());
    String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    assertEquals(202, post("carol", "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
        Map.of("Mcp-Session-Id", session)).statusCode());
    String list = RawMcp.toolsList(9);
    Map<String, String> acme = Map.of("Mcp-Session-Id", session, "X-Tenant-Id", "acme");
    for (int i = 0; i < 2; i++) {
      HttpResponse<String> ok = post("carol", list, acme);
      assertEquals(200, ok.statusCode(), ok.body());
      assertTrue(ok.body().contains("create_issue"), ok.body());
    }
    HttpResponse<String> denied = post("carol", list, acme);
    assertEquals(429, denied.statusCode(), denied.body());
    assertEquals("\"list requests\";q=2;w=60", denied.headers().firstValue("RateLimit-Policy").orElseThrow());
    assertTrue(denied.headers().firstValue("Retry-After").isPresent());
    assertTrue(denied.headers().firstValue("RateLimit").orElseThrow().startsWith("\"list requests\";r=0;t="));
    assertEquals(9, map(denied.body()).get("id"));

    Map<String, String> globex = Map.of("Mcp-Session-Id", session, "X-Tenant-Id", "globex");
    assertEquals(200, post("carol", list, globex).statusCode(),
        "the tenant comes from mcp.ratelimit.identity.headers, which only the starter's resolver reads");
  }

  @Test
  void toolCallsPassTheEdgeAndTheirDenialsKeepTheMcpAnswerOnTheSameIdentity() throws Exception {
    HttpResponse<String> init = post("bob", initialize(1), Map.of());
    String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    Map<String, String> initech = Map.of("Mcp-Session-Id", session, "X-Tenant-Id", "initech");
    post("bob", "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", initech);
    String call = "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"create_issue\","
        + "\"arguments\":{\"title\":\"t\"}}}";
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> ok = post("bob", call, initech);
      assertEquals(200, ok.statusCode(), ok.body());
      assertTrue(ok.body().contains("opened t"), ok.body());
    }
    HttpResponse<String> denied = post("bob", call, initech);
    assertEquals(200, denied.statusCode(), "no edge rule for tools/call: the SDK answers");
    assertTrue(denied.body().contains("\"isError\":true") && denied.body().contains("issue burst"), denied.body());
  }

  private HttpResponse<String> post(String user, String body, Map<String, String> headers) throws Exception {
    return raw.post(user, body, headers);
  }

  private static String initialize(int id) {
    return RawMcp.initialize(id);
  }

  private static Map<String, Object> map(Object json) {
    return RawMcp.map(json);
  }
}
