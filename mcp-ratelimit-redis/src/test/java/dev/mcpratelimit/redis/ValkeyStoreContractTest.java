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
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * The store contract on Valkey, when a {@code valkey-server} binary is on the {@code PATH} (or
 * named by {@code VALKEY_SERVER}): started on a free loopback port, stopped when the JVM exits.
 * Skipped, with that reason, where there is none: no Maven artifact ships Valkey, and the build
 * relies on nothing installed by hand.
 */
@EnabledIf(value = "valkeyPresent", disabledReason = ValkeyStoreContractTest.ABSENT)
@AddLifecycleHook(ValkeyStoreContractTest.SkipWithoutValkey.class) // the same for the jqwik property
class ValkeyStoreContractTest extends StoreContract {
  static final String ABSENT = "no valkey-server binary (on PATH or in VALKEY_SERVER)";

  /** Skips the jqwik properties, which JUnit's conditions do not reach, when Valkey is absent. */
  public static final class SkipWithoutValkey implements SkipExecutionHook {
    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
      return valkeyPresent() ? SkipResult.doNotSkip() : SkipResult.skip(ABSENT);
    }
  }

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

  static boolean valkeyPresent() {
    return binary() != null;
  }

  static synchronized String url() throws IOException, InterruptedException {
    if (url == null) {
      int port = TestRedis.freePort();
      Path dir = Files.createTempDirectory("mcp-rl-valkey");
      Process p = new ProcessBuilder(binary(), "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
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
