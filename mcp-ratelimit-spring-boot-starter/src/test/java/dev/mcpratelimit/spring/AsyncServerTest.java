package dev.mcpratelimit.spring;

import static dev.mcpratelimit.spring.McpClients.call;
import static dev.mcpratelimit.spring.McpClients.structured;
import static dev.mcpratelimit.spring.McpClients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.ai.mcp.annotation.McpTool;
import org.springframework.ai.mcp.annotation.McpToolParam;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * An async Spring AI server ({@code spring.ai.mcp.server.type=ASYNC}) whose {@code @McpTool}
 * methods return {@code Mono}: Spring AI turns them into async tool specifications, which the
 * starter limits like sync ones, and the hidden one is left out of {@code tools/list}.
 */
@SpringBootTest(classes = {TestMcpApp.class, AsyncServerTest.ReactiveTools.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.ai.mcp.server.protocol=STREAMABLE",
        "spring.ai.mcp.server.type=ASYNC",
        "mcp.ratelimit.policy=classpath:async-policy.yaml"})
class AsyncServerTest {
  @LocalServerPort
  int port;

  /** Reactive {@code @McpTool}s: only an async server registers them. */
  @Component
  static class ReactiveTools {
    @McpTool(name = "summarize", description = "Summarizes a text")
    public Mono<String> summarize(@McpToolParam(description = "text", required = true) String text) {
      return Mono.fromSupplier(() -> "summary of " + text);
    }

    @McpTool(name = "purge_cache", description = "Purges the cache")
    public Mono<String> purgeCache() {
      return Mono.just("purged");
    }
  }

  @Test
  void anAsyncToolIsLimited() {
    TestMcpApp.CLOCK.advance(Duration.ofHours(1));
    try (McpClients clients = new McpClients()) {
      McpSyncClient alice = clients.connect(port, "alice");
      assertEquals("summary of a", text(call(alice, "summarize", Map.of("text", "a"))));
      assertEquals("summary of b", text(call(alice, "summarize", Map.of("text", "b"))));
      McpSchema.CallToolResult denied = call(alice, "summarize", Map.of("text", "c"));
      assertEquals(Boolean.TRUE, denied.isError());
      assertEquals("summaries", structured(denied).get("rule"));
      assertEquals(2, ((Number) structured(denied).get("limit")).intValue());

      McpSyncClient bob = clients.connect(port, "bob");
      assertEquals("summary of d", text(call(bob, "summarize", Map.of("text", "d"))), "bob's own budget");
    }
  }

  @Test
  void aHiddenAsyncToolIsLeftOutOfTheListAndDenied() {
    try (McpClients clients = new McpClients()) {
      McpSyncClient alice = clients.connect(port, "alice");
      List<String> names = alice.listTools().tools().stream().map(McpSchema.Tool::name).toList();
      assertTrue(names.contains("summarize"), names.toString());
      assertFalse(names.contains("purge_cache"), names.toString());
      McpSchema.CallToolResult r = call(alice, "purge_cache", Map.of());
      assertEquals(Boolean.TRUE, r.isError());
      assertEquals("hidden", structured(r).get("error"));
    }
  }
}
