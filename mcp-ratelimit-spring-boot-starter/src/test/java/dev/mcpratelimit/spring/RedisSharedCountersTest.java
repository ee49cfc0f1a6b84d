package dev.mcpratelimit.spring;

import static dev.mcpratelimit.spring.McpClients.call;
import static dev.mcpratelimit.spring.McpClients.structured;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.redis.RedisLimiterStore;
import dev.mcpratelimit.spi.LimiterStore;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import redis.embedded.RedisServer;

/**
 * Two instances of the application (one sync, one async server) with
 * {@code mcp.ratelimit.store=redis} on a real redis-server share one budget: calls spread over
 * both are counted together, through the application's own Spring Data Redis connection factory.
 */
class RedisSharedCountersTest {
  private static RedisServer redis;
  private static ConfigurableApplicationContext sync;
  private static ConfigurableApplicationContext async;

  @BeforeAll
  static void start() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    redis = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
        .setting("save \"\"").setting("appendonly no").build();
    redis.start();
    sync = instance(port, "SYNC");
    async = instance(port, "ASYNC");
  }

  private static ConfigurableApplicationContext instance(int redisPort, String type) {
    return new SpringApplicationBuilder(TestMcpApp.class).properties("server.port=0",
        "spring.ai.mcp.server.protocol=STREAMABLE", "spring.ai.mcp.server.type=" + type,
        "mcp.ratelimit.store=redis", "mcp.ratelimit.redis.application-clock=true",
        "spring.data.redis.host=127.0.0.1", "spring.data.redis.port=" + redisPort).run();
  }

  @AfterAll
  static void stop() throws IOException {
    if (sync != null) {
      sync.close();
    }
    if (async != null) {
      async.close();
    }
    if (redis != null) {
      redis.stop();
    }
  }

  private static int port(ConfigurableApplicationContext ctx) {
    return ((WebServerApplicationContext) ctx).getWebServer().getPort();
  }

  @Test
  void twoInstancesCountTogether() {
    assertTrue(sync.getBean(LimiterStore.class) instanceof RedisLimiterStore);
    assertTrue(async.getBean(LimiterStore.class) instanceof RedisLimiterStore);
    TestMcpApp.CLOCK.advance(Duration.ofHours(1));
    try (McpClients clients = new McpClients()) {
      McpSyncClient onSync = clients.connect(port(sync), "alice");
      McpSyncClient onAsync = clients.connect(port(async), "alice");
      // echo: 2 per minute per user
      assertNotEquals(Boolean.TRUE, call(onSync, "echo", Map.of("text", "1")).isError());
      assertNotEquals(Boolean.TRUE, call(onAsync, "echo", Map.of("text", "2")).isError());
      McpSchema.CallToolResult third = call(onAsync, "echo", Map.of("text", "3"));
      assertEquals(Boolean.TRUE, third.isError(), "the async instance saw the sync instance's call");
      assertEquals("echo burst", structured(third).get("rule"));
      assertEquals(Boolean.TRUE, call(onSync, "echo", Map.of("text", "4")).isError(), "and the other way round");
      McpSyncClient bob = clients.connect(port(sync), "bob");
      assertNotEquals(Boolean.TRUE, call(bob, "echo", Map.of("text", "b")).isError(), "bob's own budget");
    }
  }
}
