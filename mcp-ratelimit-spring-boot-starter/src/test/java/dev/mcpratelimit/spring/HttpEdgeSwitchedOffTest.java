package dev.mcpratelimit.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.mcp.McpHttpRateLimitFilter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.web.context.WebApplicationContext;

/** {@code mcp.ratelimit.http.enabled=false} removes the HTTP edge although the policy has edge rules. */
@SpringBootTest(classes = TestMcpApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "spring.ai.mcp.server.protocol=STREAMABLE",
    "mcp.ratelimit.policy=classpath:edge-policy.yaml",
    "mcp.ratelimit.http.enabled=false",
    "management.health.redis.enabled=false"})
class HttpEdgeSwitchedOffTest {
  @LocalServerPort
  int port;

  @Autowired
  WebApplicationContext context;

  @Test
  void noFilterBeanNoRegistrationAndSessionsBeyondTheEdgeLimitAreOpened() throws Exception {
    assertTrue(context.getBeansOfType(McpHttpRateLimitFilter.class).isEmpty());
    assertTrue(context.getBeansOfType(FilterRegistrationBean.class).values().stream()
        .noneMatch(r -> r.getFilter() instanceof McpHttpRateLimitFilter));
    assertNull(context.getServletContext().getFilterRegistration(McpRateLimitHttpEdgeAutoConfiguration.FILTER_NAME));
    HttpClient http = HttpClient.newHttpClient();
    for (int i = 1; i <= 4; i++) { // the policy allows 2 a minute at the edge
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/mcp"))
          .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
          .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("alice:pw".getBytes(StandardCharsets.UTF_8)))
          .POST(HttpRequest.BodyPublishers.ofString(HttpEdgeTest.initialize(i))).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
    }
  }
}
