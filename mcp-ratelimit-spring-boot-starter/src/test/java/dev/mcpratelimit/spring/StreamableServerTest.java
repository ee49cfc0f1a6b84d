package dev.mcpratelimit.spring;

import static dev.mcpratelimit.spring.McpClients.call;
import static dev.mcpratelimit.spring.McpClients.fourthIssueDenied;
import static dev.mcpratelimit.spring.McpClients.structured;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.mcp.McpToolFilters;
import io.micrometer.core.instrument.MeterRegistry;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * A sync Spring AI MCP server over Streamable HTTP with the starter and a policy file, and nothing
 * else: every tool, resource, template and prompt is limited, per Spring Security principal.
 */
@SpringBootTest(classes = TestMcpApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "spring.ai.mcp.server.protocol=STREAMABLE",
    "management.endpoints.web.exposure.include=ratelimit,health",
    "management.endpoint.health.show-details=always",
    "management.health.redis.enabled=false"})
class StreamableServerTest {
  @LocalServerPort
  int port;

  @Autowired
  MeterRegistry registry;

  private final McpClients clients = new McpClients();

  @BeforeEach
  void freshWindows() {
    TestMcpApp.CLOCK.advance(Duration.ofHours(1)); // every minute window of earlier tests is over
  }

  @AfterEach
  void close() {
    clients.close();
  }

  @Test
  void theFourthCallInAThreePerMinuteWindowIsDeniedWithTheFullStructuredDenial() {
    McpSyncClient alice = clients.connect(port, "alice");
    long retryMs = fourthIssueDenied(alice);
    TestMcpApp.CLOCK.advance(Duration.ofMillis(retryMs));
    assertNotEquals(Boolean.TRUE, call(alice, "create_issue", Map.of("title", "t5")).isError(), "the window moved on");
  }

  @Test
  void limitsArePerAuthenticatedPrincipal() {
    McpSyncClient alice = clients.connect(port, "alice");
    McpSyncClient bob = clients.connect(port, "bob");
    for (int i = 0; i < 3; i++) {
      call(alice, "create_issue", Map.of("title", "a"));
    }
    assertEquals(Boolean.TRUE, call(alice, "create_issue", Map.of("title", "a")).isError());
    for (int i = 0; i < 3; i++) {
      assertNotEquals(Boolean.TRUE, call(bob, "create_issue", Map.of("title", "b")).isError(), "bob has his own budget");
    }
    assertEquals(Boolean.TRUE, call(bob, "create_issue", Map.of("title", "b")).isError());
  }

  @Test
  void toolCallbackToolsAreLimitedToo() {
    McpSyncClient carol = clients.connect(port, "carol");
    assertNotEquals(Boolean.TRUE, call(carol, "echo", Map.of("text", "x")).isError());
    assertNotEquals(Boolean.TRUE, call(carol, "echo", Map.of("text", "x")).isError());
    McpSchema.CallToolResult denied = call(carol, "echo", Map.of("text", "x"));
    assertEquals(Boolean.TRUE, denied.isError());
    assertEquals("echo burst", structured(denied).get("rule"));
  }

  @Test
  void hiddenToolsAreFilteredFromTheListAndDeniedWhenCalled() {
    McpSyncClient alice = clients.connect(port, "alice");
    List<String> names = alice.listTools().tools().stream().map(McpSchema.Tool::name).toList();
    assertTrue(names.containsAll(List.of("create_issue", "echo")), names.toString());
    assertTrue(McpToolFilters.available(), "the starter runs on MCP SDK 2.1");
    assertFalse(names.contains("delete_repository"), names.toString());
    McpSchema.CallToolResult r = call(alice, "delete_repository", Map.of("name", "prod"));
    assertEquals(Boolean.TRUE, r.isError());
    assertEquals("hidden", structured(r).get("error"));
  }

  @Test
  void resourcesTemplatesAndPromptsAreLimited() {
    McpSyncClient bob = clients.connect(port, "bob");
    McpSchema.ReadResourceRequest readme = new McpSchema.ReadResourceRequest("docs://readme");
    bob.readResource(readme);
    bob.readResource(readme);
    McpError e = assertThrows(McpError.class, () -> bob.readResource(readme));
    assertTrue(e.getMessage().contains("Rate limit exceeded"), e.getMessage());

    McpSchema.ReadResourceRequest page = new McpSchema.ReadResourceRequest("docs://pages/intro");
    assertEquals("page intro", ((McpSchema.TextResourceContents) bob.readResource(page).contents().get(0)).text());
    assertThrows(McpError.class, () -> bob.readResource(page), "1 per minute on the template's concrete URI");

    McpSchema.GetPromptRequest greet = new McpSchema.GetPromptRequest("greet", Map.of("who", "bob"));
    bob.getPrompt(greet);
    bob.getPrompt(greet);
    McpError p = assertThrows(McpError.class, () -> bob.getPrompt(greet));
    assertTrue(p.getMessage().contains("Rate limit exceeded"), p.getMessage());
  }

  @Test
  void metersActuatorEndpointAndHealth() throws Exception {
    McpSyncClient carol = clients.connect(port, "carol");
    for (int i = 0; i < 4; i++) {
      call(carol, "create_issue", Map.of("title", "c"));
    }
    double denied = registry.find("mcp.ratelimit.decisions").tags("tool", "create_issue", "outcome", "denied")
        .counters().stream().mapToDouble(c -> c.count()).sum();
    assertTrue(denied >= 1, "denials counted in the application's MeterRegistry: " + denied);

    HttpClient http = HttpClient.newHttpClient();
    String report = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/ratelimit")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertTrue(report.contains("\"name\":\"issue burst\""), report);
    assertTrue(report.contains("\"policy\":\"classpath:mcp-ratelimit.yaml\""), report);
    assertTrue(report.contains("\"hidden\":[\"delete_repository\"]"), report);
    assertTrue(report.matches("(?s).*\"denials\":\\{[^}]*\"issue burst\":[1-9].*"), report);
    assertTrue(report.contains("\"status\":\"UP\""), report);

    String health = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/health")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertTrue(health.matches("(?s).*\"mcpRateLimit\":\\{\"details\":\\{[^}]*\"store\":\"CaffeineStore\"[^}]*},\"status\":\"UP\".*"), health);
  }
}
