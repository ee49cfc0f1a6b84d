package dev.mcpratelimit.policy;

import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.mcp.McpRateLimiting;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Replaces a running limiter's policy from a file, by hand ({@link #reload()}) or when the file
 * changes ({@link #watch()}). A file with mistakes never replaces a working policy: the old one
 * stays and the problems go to the error callback; so does any other failure to read or apply it,
 * and the watcher keeps watching. Rules whose name, key dimensions and limit are unchanged keep
 * their counters; in-flight reservations complete against the rules they were taken under.
 * Built on an {@link McpRateLimiting}, a reload applies the file's {@code defaults.denial} too.
 * Thread-safe.
 */
public final class PolicyReloader implements AutoCloseable {
  private final Consumer<PolicyFile> apply;
  private final Path file;
  private final Consumer<PolicyException> onError;
  private volatile @Nullable Thread watcher;
  private volatile @Nullable WatchService watchService;

  /**
   * Reloads a limiter's policy only (a file's {@code defaults.denial} concerns the MCP adapter:
   * use {@link #PolicyReloader(McpRateLimiting, Path, Consumer)} to apply it too).
   *
   * @param limiter the limiter whose policy is replaced
   * @param file the policy file
   * @param onError receives the problems of a file that was not applied
   */
  public PolicyReloader(RateLimiter limiter, Path file, Consumer<PolicyException> onError) {
    this(policyOf(Objects.requireNonNull(limiter, "limiter")), file, onError);
  }

  private static Consumer<PolicyFile> policyOf(RateLimiter limiter) {
    return f -> limiter.updatePolicy(f.policy());
  }

  /**
   * Reloads every setting of the file into the MCP adapter: the policy and the denial mode.
   *
   * @param limits the adapter whose limiter and denial mode are updated
   * @param file the policy file
   * @param onError receives the problems of a file that was not applied
   */
  public PolicyReloader(McpRateLimiting limits, Path file, Consumer<PolicyException> onError) {
    this(Objects.requireNonNull(limits, "limits")::update, file, onError);
  }

  PolicyReloader(Consumer<PolicyFile> apply, Path file, Consumer<PolicyException> onError) {
    this.apply = apply;
    this.file = Objects.requireNonNull(file, "file");
    this.onError = Objects.requireNonNull(onError, "onError");
  }

  /**
   * Loads the file and, if it has no mistakes, makes it the limiter's policy.
   *
   * @return the applied file, or {@code null} when it had mistakes (reported to the callback)
   */
  public synchronized @Nullable PolicyFile reload() {
    PolicyException failure;
    try {
      PolicyFile f = PolicyLoader.load(file);
      apply.accept(f);
      return f;
    } catch (PolicyException e) {
      failure = e;
    } catch (RuntimeException | StackOverflowError e) {
      failure = new PolicyException(List.of(new Problem(file.toString(), 0, 0, "", "cannot apply the policy: " + e)));
    }
    try {
      onError.accept(failure);
    } catch (RuntimeException ignored) {
      // the callback's failure must not stop reloading
    }
    return null;
  }

  /**
   * Starts a daemon thread that reloads whenever the file's directory reports a change to it.
   *
   * @return this reloader
   * @throws IOException if the directory cannot be watched
   */
  public synchronized PolicyReloader watch() throws IOException {
    if (watcher != null) {
      return this;
    }
    Path dir = file.toAbsolutePath().getParent();
    WatchService ws = FileSystems.getDefault().newWatchService();
    dir.register(ws, StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_CREATE);
    Path name = file.getFileName();
    Thread t = new Thread(() -> {
      try {
        for (;;) {
          WatchKey key = ws.take();
          boolean ours = key.pollEvents().stream().anyMatch(e -> name.equals(e.context()));
          key.reset();
          if (ours) {
            reload(); // never throws: a bad file goes to onError and the loop goes on
          }
        }
      } catch (InterruptedException | ClosedWatchServiceException e) {
        // stopped
      }
    }, "mcp-ratelimit-policy-watcher");
    t.setDaemon(true);
    watchService = ws;
    watcher = t;
    t.start();
    return this;
  }

  /** Stops watching. */
  @Override
  public synchronized void close() {
    WatchService ws = watchService;
    Thread t = watcher;
    watchService = null;
    watcher = null;
    if (ws != null) {
      try {
        ws.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    if (t != null) {
      t.interrupt();
    }
  }
}
