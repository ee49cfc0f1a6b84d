package dev.mcpratelimit.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A TCP proxy on a free loopback port in front of a Redis, which can hold Redis's replies back
 * for a while: a network whose answers arrive late, after the command ran.
 */
final class DelayingProxy implements AutoCloseable {
  private final ServerSocket server;
  private final int target;
  volatile long replyDelayMillis;

  DelayingProxy(int targetPort) throws IOException {
    this.target = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "delaying-proxy");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket redis = new Socket(InetAddress.getLoopbackAddress(), target);
        pump(client.getInputStream(), redis.getOutputStream(), false);
        pump(redis.getInputStream(), client.getOutputStream(), true);
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void pump(InputStream in, OutputStream out, boolean replies) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[8192];
      try {
        for (int n; (n = in.read(buf)) >= 0; ) {
          long delay = replyDelayMillis;
          if (replies && delay > 0) {
            Thread.sleep(delay); // the simulated network latency of a reply
          }
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException | InterruptedException e) {
        // connection closed
      }
    }, replies ? "proxy-replies" : "proxy-commands");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
