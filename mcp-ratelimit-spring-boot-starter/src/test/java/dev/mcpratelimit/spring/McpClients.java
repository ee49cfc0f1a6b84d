package dev.mcpratelimit.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientSseClientTransport;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Real MCP SDK clients (Streamable HTTP or SSE) against a test server, closed together. */
final class McpClients implements AutoCloseable {
  private final List<McpSyncClient> open = new ArrayList<>();

  /** @return an initialized Streamable HTTP client authenticating as {@code user} (HTTP Basic, password pw), or anonymous */
  McpSyncClient connect(int port, @Nullable String user) {
    return connect(HttpClientStreamableHttpTransport.builder(base(port)).endpoint("/mcp").requestBuilder(basic(user)).build());
  }

  /** @return an initialized client over Spring AI's SSE transport ({@code /sse}), authenticating as {@link #connect(int, String)} */
  McpSyncClient connectSse(int port, @Nullable String user) {
    return connect(HttpClientSseClientTransport.builder(base(port)).sseEndpoint("/sse").requestBuilder(basic(user)).build());
  }

  /** @return an initialized Streamable HTTP client sending {@code Authorization: Bearer token} */
  McpSyncClient connectBearer(int port, String token) {
    return connect(HttpClientStreamableHttpTransport.builder(base(port)).endpoint("/mcp")
        .requestBuilder(HttpRequest.newBuilder().header("Authorization", "Bearer " + token)).build());
  }

  private McpSyncClient connect(McpClientTransport transport) {
    McpSyncClient c = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(20)).build();
    open.add(c);
    c.initialize();
    return c;
  }

  private static String base(int port) {
    return "http://localhost:" + port;
  }

  private static HttpRequest.Builder basic(@Nullable String user) {
    HttpRequest.Builder rb = HttpRequest.newBuilder();
    if (user != null) {
      rb.header("Authorization", "Basic "
          + Base64.getEncoder().encodeToString((user + ":pw").getBytes(StandardCharsets.UTF_8)));
    }
    return rb;
  }

  static McpSchema.CallToolResult call(McpSyncClient c, String tool, Map<String, Object> args) {
    return c.callTool(new McpSchema.CallToolRequest(tool, args));
  }

  /**
   * Opens three issues, each granted, then asserts that the fourth gets the full structured denial.
   *
   * @return the denial's {@code retryAfterMs}
   */
  static long fourthIssueDenied(McpSyncClient c) {
    for (int i = 1; i <= 3; i++) {
      McpSchema.CallToolResult ok = call(c, "create_issue", Map.of("title", "t" + i));
      assertNotEquals(Boolean.TRUE, ok.isError(), ok.toString());
      assertTrue(text(ok).contains("opened t" + i), text(ok));
    }
    return assertIssueBurstDenial(call(c, "create_issue", Map.of("title", "t4")));
  }

  /**
   * Asserts the full structured denial of the test policy's {@code issue burst} rule (3 per minute per user).
   *
   * @return the denial's {@code retryAfterMs}
   */
  static long assertIssueBurstDenial(McpSchema.CallToolResult denied) {
    assertEquals(Boolean.TRUE, denied.isError());
    assertTrue(text(denied).startsWith("Rate limit exceeded: Slow down — max 3 issues per minute"), text(denied));
    Map<String, Object> s = structured(denied);
    assertEquals("rate_limited", s.get("error"));
    assertEquals("issue burst", s.get("rule"));
    assertEquals(List.of("user"), s.get("scope"));
    assertEquals(3, ((Number) s.get("limit")).intValue());
    assertEquals("PT1M", s.get("window"));
    assertEquals(0, ((Number) s.get("remaining")).intValue());
    assertEquals(1, ((Number) s.get("cost")).intValue());
    long retryMs = ((Number) s.get("retryAfterMs")).longValue();
    assertTrue(retryMs > 0 && retryMs <= 60_000, s.toString());
    assertEquals((retryMs + 999) / 1000, ((Number) s.get("retryAfterSeconds")).longValue());
    assertTrue(s.containsKey("resetAt") && s.containsKey("policy") && s.containsKey("ratelimit"), s.toString());
    return retryMs;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> structured(McpSchema.CallToolResult r) {
    return (Map<String, Object>) r.structuredContent();
  }

  static String text(McpSchema.CallToolResult r) {
    return ((McpSchema.TextContent) r.content().get(0)).text();
  }

  @Override
  public void close() {
    for (McpSyncClient c : open) {
      c.closeGracefully();
    }
    open.clear();
  }
}
