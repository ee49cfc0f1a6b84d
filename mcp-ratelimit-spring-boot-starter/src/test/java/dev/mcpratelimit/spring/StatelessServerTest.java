package dev.mcpratelimit.spring;

import static dev.mcpratelimit.spring.McpClients.call;
import static dev.mcpratelimit.spring.McpClients.structured;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** The same application as a stateless Spring AI server: tools limited per principal, with no sessions. */
@SpringBootTest(classes = TestMcpApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "spring.ai.mcp.server.protocol=STATELESS")
class StatelessServerTest {
  @LocalServerPort
  int port;

  @Test
  void theFourthCallIsDeniedPerPrincipal() {
    TestMcpApp.CLOCK.advance(Duration.ofHours(1));
    try (McpClients clients = new McpClients()) {
      McpSyncClient alice = clients.connect(port, "alice");
      McpSyncClient bob = clients.connect(port, "bob");
      for (int i = 0; i < 3; i++) {
        assertNotEquals(Boolean.TRUE, call(alice, "create_issue", Map.of("title", "a")).isError());
      }
      McpSchema.CallToolResult denied = call(alice, "create_issue", Map.of("title", "a"));
      assertEquals(Boolean.TRUE, denied.isError());
      assertEquals("issue burst", structured(denied).get("rule"));
      assertEquals(3, ((Number) structured(denied).get("limit")).intValue());
      assertNotEquals(Boolean.TRUE, call(bob, "create_issue", Map.of("title", "b")).isError(), "bob's own budget");
    }
  }
}
