package dev.mcpratelimit.spring;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Real MCP SDK Streamable HTTP clients against a test server, closed together. */
final class McpClients implements AutoCloseable {
  private final List<McpSyncClient> open = new ArrayList<>();

  /** @return an initialized client authenticating as {@code user} (HTTP Basic, password pw), or anonymous */
  McpSyncClient connect(int port, @Nullable String user) {
    HttpRequest.Builder rb = HttpRequest.newBuilder();
    if (user != null) {
      rb.header("Authorization", "Basic "
          + Base64.getEncoder().encodeToString((user + ":pw").getBytes(StandardCharsets.UTF_8)));
    }
    McpSyncClient c = McpClient.sync(HttpClientStreamableHttpTransport.builder("http://localhost:" + port)
        .endpoint("/mcp").requestBuilder(rb).build()).requestTimeout(Duration.ofSeconds(20)).build();
    c.initialize();
    open.add(c);
    return c;
  }

  static McpSchema.CallToolResult call(McpSyncClient c, String tool, Map<String, Object> args) {
    return c.callTool(new McpSchema.CallToolRequest(tool, args));
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
