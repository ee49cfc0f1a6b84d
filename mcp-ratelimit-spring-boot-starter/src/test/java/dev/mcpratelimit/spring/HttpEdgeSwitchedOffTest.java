package dev.mcpratelimit.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.mcp.McpHttpRateLimitFilter;
import java.net.http.HttpResponse;
import java.util.Map;
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
    RawMcp raw = new RawMcp(port);
    for (int i = 1; i <= 4; i++) { // the policy allows 2 a minute at the edge
      HttpResponse<String> r = raw.post("alice", RawMcp.initialize(i), Map.of());
      assertEquals(200, r.statusCode(), r.body());
    }
  }
}
