package dev.mcpratelimit.spring;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.mcpratelimit.mcp.McpHttpRateLimitFilter;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.web.context.WebApplicationContext;

/**
 * A policy without an {@code edge:} section and {@code mcp.ratelimit.http.enabled} unset: the
 * registration exists (to be replaced or enabled) but puts no filter into the servlet context.
 * The properties are {@link StreamableServerTest}'s, so the two share one application context.
 */
@SpringBootTest(classes = TestMcpApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "spring.ai.mcp.server.protocol=STREAMABLE",
    "management.endpoints.web.exposure.include=ratelimit,health",
    "management.endpoint.health.show-details=always",
    "management.health.redis.enabled=false"})
class HttpEdgeWithoutEdgeRulesTest {
  @Autowired
  FilterRegistrationBean<McpHttpRateLimitFilter> registration;

  @Autowired
  WebApplicationContext context;

  @Test
  void theFilterIsNotRegisteredWithTheServletContainer() {
    assertFalse(registration.isEnabled());
    assertNull(context.getServletContext().getFilterRegistration(McpRateLimitHttpEdgeAutoConfiguration.FILTER_NAME),
        "neither through the registration nor as a plain Filter bean mapped to /*");
  }
}
