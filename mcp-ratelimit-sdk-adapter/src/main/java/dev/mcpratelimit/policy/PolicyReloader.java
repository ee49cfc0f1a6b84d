package dev.mcpratelimit.policy;

import dev.mcpratelimit.RateLimiter;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Replaces a running limiter's policy from a file, by hand ({@link #reload()}) or when the file
 * changes ({@link #watch()}). A file with mistakes never replaces a working policy: the old one
 * stays and the problems go to the error callback. Rules whose name, key dimensions and limit are
 * unchanged keep their counters; in-flight reservations complete against the rules they were
 * taken under. Thread-safe.
 */
public final class PolicyReloader implements AutoCloseable {
  private final RateLimiter limiter;
  private final Path file;
  private final Consumer<PolicyException> onError;
  private volatile @Nullable Thread watcher;
  private volatile @Nullable WatchService watchService;

  /**
   * @param limiter the limiter whose policy is replaced
   * @param file the policy file
   * @param onError receives the problems of a file that was not applied
   */
  public PolicyReloader(RateLimiter limiter, Path file, Consumer<PolicyException> onError) {
    this.limiter = Objects.requireNonNull(limiter, "limiter");
    this.file = Objects.requireNonNull(file, "file");
    this.onError = Objects.requireNonNull(onError, "onError");
  }

  /**
   * Loads the file and, if it has no mistakes, makes it the limiter's policy.
   *
   * @return the applied file, or {@code null} when it had mistakes (reported to the callback)
   */
  public synchronized @Nullable PolicyFile reload() {
    try {
      PolicyFile f = PolicyLoader.load(file);
      limiter.updatePolicy(f.policy());
      return f;
    } catch (PolicyException e) {
      try {
        onError.accept(e);
      } catch (RuntimeException ignored) {
        // the callback's failure must not stop reloading
      }
      return null;
    }
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
            reload();
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
