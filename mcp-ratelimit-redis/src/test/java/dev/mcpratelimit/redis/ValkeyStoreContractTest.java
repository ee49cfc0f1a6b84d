package dev.mcpratelimit.redis;

import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import dev.mcpratelimit.testing.StoreContract;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The store contract on Valkey: a {@code valkey-server} binary named by {@code VALKEY_SERVER} (or
 * on the {@code PATH}), started on a free loopback port, stopped when the JVM exits. Runs only when
 * asked ({@code -Dvalkey=true}; the redis module's surefire configuration excludes it otherwise):
 * no Maven artifact ships Valkey, and the build relies on nothing installed by hand. Asked for
 * without a binary, every case fails with that reason.
 */
class ValkeyStoreContractTest extends StoreContract {
  static final String ABSENT = "-Dvalkey=true asks for the Valkey contract, but there is no valkey-server binary"
      + " (set VALKEY_SERVER=/path/to/valkey-server or put it on the PATH)";

  private static @Nullable String url;

  static @Nullable String binary() {
    String env = System.getenv("VALKEY_SERVER");
    if (env != null && new File(env).canExecute()) {
      return env;
    }
    String path = System.getenv("PATH");
    for (String dir : path == null ? new String[0] : path.split(File.pathSeparator)) {
      File f = new File(dir, "valkey-server");
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    return null;
  }

  static synchronized String url() throws IOException, InterruptedException {
    if (url == null) {
      String binary = binary();
      if (binary == null) {
        throw new IllegalStateException(ABSENT);
      }
      int port = TestRedis.freePort();
      Path dir = Files.createTempDirectory("mcp-rl-valkey");
      Process p = new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
          "--appendonly", "no", "--dir", dir.toString()).redirectErrorStream(true)
          .redirectOutput(dir.resolve("valkey.log").toFile()).start();
      Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
      String u = "redis://127.0.0.1:" + port;
      RedisClient c = RedisClient.create(u);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        try (StatefulRedisConnection<String, String> conn = c.connect()) {
          conn.sync().ping();
          break;
        } catch (RuntimeException notYet) {
          if (System.nanoTime() > deadline || !p.isAlive()) {
            throw new IllegalStateException("valkey-server did not start", notYet);
          }
          Thread.sleep(50); // waiting for another process to listen
        }
      }
      c.shutdown();
      url = u;
    }
    return url;
  }

  @Override
  protected LimiterStore newStore(FakeClock clock) {
    try {
      String u = url();
      RedisClient c = RedisClient.create(u);
      try (StatefulRedisConnection<String, String> conn = c.connect()) {
        conn.sync().flushdb();
      } finally {
        c.shutdown();
      }
      return RedisLimiterStore.builder(u).clock(clock).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
