package dev.mcpratelimit.mcp;

import dev.mcpratelimit.testing.FakeClock;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Real SDK clients over stdio, each with its own {@link StdioFixtureServer} process (sync or
 * async) launched from this JVM's class path as the client's user and tenant.
 *
 * <p>A stdio server serves one client, so each client here is a separate server process with its
 * own in-memory limiter: "another user or tenant is untouched" means a second process launched as
 * that caller, which is the honest stdio semantics (limits shared across stdio processes need a
 * shared store such as Redis). The fixture keeps one logical clock and pushes it into every
 * process (also those launched later) through the unwrapped {@link DemoTools#CLOCK_TOOL}, and
 * sums the processes' counters.
 */
final class StdioFixture implements ScenarioFixture {
  private final boolean async;
  private final DenialMode mode;
  private final List<McpSyncClient> clients = new ArrayList<>();
  private long clockNanos = FakeClock.create().nanos(); // where every server process's clock is

  StdioFixture(boolean async, DenialMode mode) {
    this.async = async;
    this.mode = mode;
  }

  @Override
  public McpSyncClient client(@Nullable String user, @Nullable String tenant) {
    List<String> args = new ArrayList<>(List.of(
        // a short-lived test server: start fast rather than run fast
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-Xmx128m",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", // slf4j-simple writes to stderr; stdout is the protocol
        "-cp", System.getProperty("java.class.path"),
        StdioFixtureServer.class.getName(), async ? "async" : "sync", mode.name()));
    if (user != null) {
      args.add("--user=" + user);
    }
    if (tenant != null) {
      args.add("--tenant=" + tenant);
    }
    StdioClientTransport transport = new StdioClientTransport(
        ServerParameters.builder(javaCommand()).args(args).build(), McpJsonDefaults.getMapper());
    transport.setStdErrorHandler(line -> System.err.println("[stdio server " + user + "@" + tenant + "] " + line));
    McpSyncClient c = McpClient.sync(transport)
        .requestTimeout(Duration.ofSeconds(30)).initializationTimeout(Duration.ofSeconds(60)).build();
    clients.add(c); // before initialize: closed (and its process ended) whatever happens next
    c.initialize();
    moveClock(c, Map.of("setNanos", clockNanos));
    return c;
  }

  private static String javaCommand() {
    return ProcessHandle.current().info().command()
        .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  @Override
  public boolean oneServerForAllClients() {
    return false;
  }

  @Override
  public void setClock(Instant now) {
    clockNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    for (McpSyncClient c : clients) {
      moveClock(c, Map.of("setNanos", clockNanos));
    }
  }

  @Override
  public void advanceClock(Duration d) {
    clockNanos += d.toNanos();
    for (McpSyncClient c : clients) {
      moveClock(c, Map.of("setNanos", clockNanos));
    }
  }

  private static void moveClock(McpSyncClient c, Map<String, Object> args) {
    McpSchema.CallToolResult r = c.callTool(new McpSchema.CallToolRequest(DemoTools.CLOCK_TOOL, args));
    if (Boolean.TRUE.equals(r.isError())) {
      throw new IllegalStateException("could not move the server's clock: " + r.content());
    }
  }

  @Override
  public int handlerCalls() {
    int sum = 0;
    for (McpSyncClient c : clients) {
      sum += ((Number) calls(c).get("handlerCalls")).intValue();
    }
    return sum;
  }

  @Override
  public Set<String> callers() {
    Set<String> all = new TreeSet<>();
    for (McpSyncClient c : clients) {
      for (Object o : (List<?>) calls(c).get("callers")) {
        all.add((String) o);
      }
    }
    return all;
  }

  private static Map<?, ?> calls(McpSyncClient c) {
    McpSchema.CallToolResult r = c.callTool(new McpSchema.CallToolRequest(DemoTools.CALLS_TOOL, Map.of()));
    return (Map<?, ?>) r.structuredContent();
  }

  @Override
  public void close() {
    for (McpSyncClient c : clients) {
      try {
        c.closeGracefully(); // ends the server process
      } catch (RuntimeException ignored) {
        // best effort
      }
    }
  }
}
