package dev.mcpratelimit.spring;

import static dev.mcpratelimit.spring.McpClients.call;
import static dev.mcpratelimit.spring.McpClients.structured;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.policy.PolicyReloader;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The policy reloaded inside Spring: {@code mcp.ratelimit.policy} names a file on disk, the starter's
 * {@link PolicyReloader} bean watches it, and a changed file's limit applies to the next MCP call.
 */
@SpringBootTest(classes = TestMcpApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "spring.ai.mcp.server.protocol=STREAMABLE")
class PolicyReloadTest {
  private static final Path DIR = tempDir();
  private static final Path POLICY = DIR.resolve("mcp-ratelimit.yaml");

  @LocalServerPort
  int port;

  @Autowired
  PolicyReloader reloader;

  @Autowired
  RateLimiter limiter;

  private final McpClients clients = new McpClients();

  @DynamicPropertySource
  static void policyFile(DynamicPropertyRegistry registry) {
    write("issue burst", 3);
    registry.add("mcp.ratelimit.policy", () -> "file:" + POLICY);
  }

  @BeforeEach
  void startFromThreePerMinute() {
    write("issue burst", 3);
    assertNotNull(reloader.reload());
    TestMcpApp.CLOCK.advance(Duration.ofHours(1));
  }

  @AfterEach
  void close() {
    clients.close();
  }

  @Test
  void aChangedFileSetsTheLimitOfTheNextCall() {
    write("issue burst", 1);
    assertNotNull(reloader.reload(), "the reloader's own trigger, no waiting on the file watcher");
    McpSyncClient alice = clients.connect(port, "alice");
    assertNotEquals(Boolean.TRUE, call(alice, "create_issue", Map.of("title", "1")).isError());
    McpSchema.CallToolResult denied = call(alice, "create_issue", Map.of("title", "2"));
    assertEquals(Boolean.TRUE, denied.isError(), "the second call: 1 per minute now, not 3");
    assertEquals(1, ((Number) structured(denied).get("limit")).intValue());

    writeRaw("version: 1\ntools:\n  create_issue:\n    rules:\n      - { name: x, rateLimt: 1/minute }\n");
    assertNull(reloader.reload(), "a file with mistakes is not applied");
    assertEquals(Boolean.TRUE, call(alice, "create_issue", Map.of("title", "3")).isError(), "the running policy stays");

    write("issue burst", 1, "error");
    assertNotNull(reloader.reload());
    McpError e = assertThrows(McpError.class, () -> call(alice, "create_issue", Map.of("title", "4")),
        "the file's denial mode is reloaded too: a JSON-RPC error now, not a result");
    assertTrue(e.getMessage().contains("Rate limit exceeded"), e.getMessage());
  }

  @Test
  void theWatcherAppliesAFileChangedOnDisk() {
    write("watched burst", 2);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!hasRule("watched burst")) {
      assertTrue(System.nanoTime() < deadline, "the file watcher did not reload within 30 s");
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // polling a condition, not timing anything
    }
    McpSyncClient bob = clients.connect(port, "bob");
    call(bob, "create_issue", Map.of("title", "1"));
    call(bob, "create_issue", Map.of("title", "2"));
    McpSchema.CallToolResult denied = call(bob, "create_issue", Map.of("title", "3"));
    assertEquals(Boolean.TRUE, denied.isError());
    assertEquals("watched burst", structured(denied).get("rule"));
    assertEquals(2, ((Number) structured(denied).get("limit")).intValue());
  }

  private boolean hasRule(String name) {
    return limiter.policy().rules().stream().map(Rule::name).anyMatch(name::equals);
  }

  private static void write(String rule, int perMinute) {
    write(rule, perMinute, "result");
  }

  private static void write(String rule, int perMinute, String denial) {
    writeRaw("version: 1\ndefaults: { key: [user], onMissingIdentity: shared, denial: " + denial + " }\n"
        + "tools:\n  create_issue:\n    rules:\n      - { name: " + rule + ", rateLimit: " + perMinute + "/minute }\n");
  }

  private static void writeRaw(String yaml) {
    try {
      Path tmp = Files.createTempFile(DIR, "next", ".tmp");
      Files.writeString(tmp, yaml, StandardCharsets.UTF_8);
      Files.move(tmp, POLICY, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path tempDir() {
    try {
      Path d = Files.createTempDirectory("mcp-ratelimit-reload");
      d.toFile().deleteOnExit();
      return d;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
