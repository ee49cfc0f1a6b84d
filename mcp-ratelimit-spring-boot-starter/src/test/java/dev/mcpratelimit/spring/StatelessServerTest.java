package dev.mcpratelimit.spring;

import static dev.mcpratelimit.spring.McpClients.call;
import static dev.mcpratelimit.spring.McpClients.structured;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The same application as a stateless Spring AI server: tools, the annotated resource, resource
 * template and prompt (stateless specification beans) limited per principal, with no sessions;
 * hidden tools left out of {@code tools/list} though Spring AI builds stateless servers with no
 * customizer (the starter's stateless transport filters the listing).
 */
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

  @Test
  void hiddenToolsAreLeftOutOfTheListAndDeniedWhenCalled() {
    try (McpClients clients = new McpClients()) {
      McpSyncClient alice = clients.connect(port, "alice");
      List<String> names = alice.listTools().tools().stream().map(McpSchema.Tool::name).toList();
      assertTrue(names.containsAll(List.of("create_issue", "echo")), names.toString());
      assertFalse(names.contains("delete_repository"), "hidden by the policy: " + names);
      McpSchema.CallToolResult r = call(alice, "delete_repository", Map.of("name", "prod"));
      assertEquals(Boolean.TRUE, r.isError());
      assertEquals("hidden", structured(r).get("error"));
    }
  }

  @Test
  void statelessResourcesTemplatesAndPromptsAreLimited() {
    TestMcpApp.CLOCK.advance(Duration.ofHours(1));
    try (McpClients clients = new McpClients()) {
      McpSyncClient carol = clients.connect(port, "carol");
      McpSchema.ReadResourceRequest readme = new McpSchema.ReadResourceRequest("docs://readme");
      assertEquals("read me", ((McpSchema.TextResourceContents) carol.readResource(readme).contents().get(0)).text());
      carol.readResource(readme);
      McpError r = assertThrows(McpError.class, () -> carol.readResource(readme), "2 per minute on the resource");
      assertTrue(r.getMessage().contains("Rate limit exceeded"), r.getMessage());
      assertEquals("readme reads", data(r).get("rule"));
      assertEquals(2, ((Number) data(r).get("limit")).intValue());

      McpSchema.ReadResourceRequest page = new McpSchema.ReadResourceRequest("docs://pages/intro");
      assertEquals("page intro", ((McpSchema.TextResourceContents) carol.readResource(page).contents().get(0)).text());
      assertEquals("page reads", data(assertThrows(McpError.class, () -> carol.readResource(page))).get("rule"),
          "1 per minute on the template's concrete URI");

      McpSchema.GetPromptRequest greet = new McpSchema.GetPromptRequest("greet", Map.of("who", "carol"));
      carol.getPrompt(greet);
      carol.getPrompt(greet);
      McpError p = assertThrows(McpError.class, () -> carol.getPrompt(greet), "2 per minute on the prompt");
      assertEquals("greetings", data(p).get("rule"));

      McpSyncClient bob = clients.connect(port, "bob");
      assertEquals("read me", ((McpSchema.TextResourceContents) bob.readResource(readme).contents().get(0)).text(),
          "bob's own budget");
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> data(McpError e) {
    return (Map<String, Object>) e.getJsonRpcError().data();
  }
}
