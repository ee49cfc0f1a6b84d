package dev.mcpratelimit.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The HTTP edge on a stateless Spring AI server: no request has a session, so a POST without
 * {@code Mcp-Session-Id} is taken for the method its body names, not for {@code initialize}.
 */
@SpringBootTest(classes = TestMcpApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "spring.ai.mcp.server.protocol=STATELESS",
    "mcp.ratelimit.policy=classpath:edge-policy.yaml",
    "mcp.ratelimit.identity.headers.X-Tenant-Id=tenant",
    "management.health.redis.enabled=false"})
class HttpEdgeStatelessTest {
  @LocalServerPort
  int port;

  @Test
  void sessionlessRequestsAreDecidedByTheirOwnMethod() throws Exception {
    TestMcpApp.CLOCK.advance(Duration.ofHours(1));
    RawMcp raw = new RawMcp(port);
    Map<String, String> acme = Map.of("X-Tenant-Id", "acme");
    for (int i = 0; i < 2; i++) {
      HttpResponse<String> ok = raw.post("alice", RawMcp.toolsList(i), acme);
      assertEquals(200, ok.statusCode(), ok.body());
      assertTrue(ok.body().contains("create_issue"), "a tools/list, not an initialize: " + ok.body());
    }
    HttpResponse<String> denied = raw.post("alice", RawMcp.toolsList(3), acme);
    assertEquals(429, denied.statusCode(), denied.body());
    assertEquals("\"list requests\";q=2;w=60", denied.headers().firstValue("RateLimit-Policy").orElseThrow());
    assertEquals(200, raw.post("alice", RawMcp.initialize(4), acme).statusCode(),
        "the new-sessions budget was not spent by the lists");
  }
}
