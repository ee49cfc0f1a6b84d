package dev.mcpratelimit.spring;

import static dev.mcpratelimit.spring.McpClients.call;
import static dev.mcpratelimit.spring.McpClients.fourthIssueDenied;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.modelcontextprotocol.client.McpSyncClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The application over Spring AI's SSE transport ({@code /sse} and {@code /mcp/message}, the
 * starter's transport bean with the identity extractor), driven by the SDK's SSE client.
 */
@SpringBootTest(classes = TestMcpApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    // server.shutdown=immediate: an SSE stream stays open on the server after the client leaves
    // (Spring AI's SSE transport notices only when it writes), and graceful shutdown would wait 30 s for it
    properties = {"spring.ai.mcp.server.protocol=SSE", "server.shutdown=immediate"})
class SseServerTest {
  @LocalServerPort
  int port;

  @Test
  void theFourthCallInAThreePerMinuteWindowIsDeniedWithTheFullStructuredDenial() {
    TestMcpApp.CLOCK.advance(Duration.ofHours(1));
    try (McpClients clients = new McpClients()) {
      McpSyncClient alice = clients.connectSse(port, "alice");
      long retryMs = fourthIssueDenied(alice);

      McpSyncClient bob = clients.connectSse(port, "bob");
      assertNotEquals(Boolean.TRUE, call(bob, "create_issue", Map.of("title", "b")).isError(),
          "bob has his own budget: the SSE transport carries the principal");

      TestMcpApp.CLOCK.advance(Duration.ofMillis(retryMs));
      assertNotEquals(Boolean.TRUE, call(alice, "create_issue", Map.of("title", "t5")).isError(), "the window moved on");
    }
  }
}
