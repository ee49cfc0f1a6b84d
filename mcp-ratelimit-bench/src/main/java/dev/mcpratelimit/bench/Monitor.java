package dev.mcpratelimit.bench;

import io.lettuce.core.RedisURI;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Counts the commands clients send to Redis, by name, through {@code MONITOR} on a plain socket:
 * each command a client sends is one line {@code +<time> [<db> <client address>] "<name>" ...};
 * the commands a script runs come as {@code [<db> lua]} and are not counted. Used by
 * {@link RedisCommandCount}; slows Redis down, so never run beside a throughput measurement.
 */
final class Monitor {
  /** Echoed at {@link #stop()}: once it comes back, every earlier command has been seen. */
  static final String FENCE = "mcp-ratelimit-monitor-fence-" + UUID.randomUUID();

  private final Socket socket;
  private final Runnable fence;
  private final Map<String, Long> sent = new TreeMap<>();
  private final CountDownLatch fenced = new CountDownLatch(1);
  private final Thread reader;
  private volatile IOException failure;

  /**
   * Connects and starts monitoring.
   *
   * @param uri the server
   * @param fence sends {@code ECHO FENCE} on another connection
   * @throws IOException if the connection or {@code MONITOR} fails
   */
  Monitor(RedisURI uri, Runnable fence) throws IOException {
    this.fence = fence;
    this.socket = new Socket(uri.getHost(), uri.getPort());
    BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
    OutputStream out = socket.getOutputStream();
    if (uri.getPassword() != null) {
      List<String> auth = new ArrayList<>(List.of("AUTH"));
      if (uri.getUsername() != null) {
        auth.add(uri.getUsername());
      }
      auth.add(new String(uri.getPassword()));
      send(out, auth);
      expectOk(in);
    }
    send(out, List.of("MONITOR"));
    expectOk(in);
    reader = new Thread(() -> read(in), "redis-monitor");
    reader.setDaemon(true);
    reader.start();
  }

  private static void send(OutputStream out, List<String> args) throws IOException {
    StringBuilder sb = new StringBuilder("*").append(args.size()).append("\r\n");
    for (String a : args) {
      sb.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
    }
    out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static void expectOk(BufferedReader in) throws IOException {
    String line = in.readLine();
    if (!"+OK".equals(line)) {
      throw new IOException("Redis answered " + line);
    }
  }

  private void read(BufferedReader in) {
    try {
      for (String line; (line = in.readLine()) != null; ) {
        int open = line.indexOf('[');
        int close = line.indexOf(']', open + 1);
        if (open < 0 || close < 0) {
          continue;
        }
        if (line.substring(open + 1, close).endsWith(" lua")) {
          continue; // run by a script, not sent by a client
        }
        int q1 = line.indexOf('"', close);
        int q2 = line.indexOf('"', q1 + 1);
        if (q1 < 0 || q2 < 0) {
          continue;
        }
        if (line.contains(FENCE)) {
          fenced.countDown();
          return;
        }
        String name = line.substring(q1 + 1, q2).toLowerCase(Locale.ROOT);
        synchronized (sent) {
          sent.merge(name, 1L, Long::sum);
        }
      }
      failure = new IOException("Redis closed the MONITOR connection");
    } catch (IOException e) {
      failure = e;
    }
    fenced.countDown();
  }

  /**
   * Waits until every command sent before this call has been seen, then stops.
   *
   * @return commands sent by clients, by lower-case name
   * @throws IOException if monitoring failed or did not catch up within a minute
   * @throws InterruptedException if interrupted while waiting
   */
  Map<String, Long> stop() throws IOException, InterruptedException {
    fence.run();
    boolean caughtUp = fenced.await(1, TimeUnit.MINUTES);
    socket.close();
    reader.join(10_000);
    if (failure != null) {
      throw failure;
    }
    if (!caughtUp) {
      throw new IOException("MONITOR did not catch up within a minute");
    }
    synchronized (sent) {
      return new TreeMap<>(sent);
    }
  }

  /** Stops without waiting (after a failure). */
  void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing after a failure
    }
  }
}
