package dev.mcpratelimit.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.ServerSocket;
import redis.embedded.RedisServer;

/**
 * The Redis the tests use: {@code REDIS_URL} when set, otherwise a real redis-server started from
 * the embedded-redis artifact on a free localhost port (once per test JVM).
 */
final class TestRedis {
  private static String url;
  private static RedisServer server;

  private TestRedis() {}

  static synchronized String url() throws IOException {
    if (url == null) {
      String env = System.getenv("REDIS_URL");
      if (env != null && !env.isBlank()) {
        url = env;
      } else {
        int port = freePort();
        server = start(port);
        url = "redis://127.0.0.1:" + port;
        Runtime.getRuntime().addShutdownHook(new Thread(TestRedis::stopQuietly));
      }
    }
    return url;
  }

  static RedisServer start(int port) throws IOException {
    RedisServer s = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
        .setting("save \"\"").setting("appendonly no").build();
    s.start();
    return s;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void stopQuietly() {
    try {
      if (server != null) {
        server.stop();
      }
    } catch (IOException ignored) {
      // shutting down
    }
  }

  /** Runs a command on a separate connection (for FLUSHDB, INFO, SCRIPT FLUSH, PTTL). */
  static <T> T admin(java.util.function.Function<io.lettuce.core.api.sync.RedisCommands<String, String>, T> f) throws IOException {
    RedisClient c = RedisClient.create(url());
    try (StatefulRedisConnection<String, String> conn = c.connect()) {
      return f.apply(conn.sync());
    } finally {
      c.shutdown();
    }
  }
}
