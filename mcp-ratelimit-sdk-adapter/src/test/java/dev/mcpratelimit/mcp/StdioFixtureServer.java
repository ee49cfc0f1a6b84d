package dev.mcpratelimit.mcp;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real MCP server over stdio, for the end-to-end scenarios ({@link StdioFixture} launches it as
 * a child process): the rate-limited {@link DemoTools} under {@link DemoTools#policy()} on a
 * {@link FakeClock}, plus the unwrapped control tools.
 *
 * <pre>
 * java -cp CLASSPATH dev.mcpratelimit.mcp.StdioFixtureServer sync|async RESULT|ERROR [--user=U] [--tenant=T]
 * </pre>
 *
 * <p>A stdio server serves the one client that launched it and gets no per-request identity, so
 * the caller's identity comes from the launch arguments, handed to
 * {@link McpRateLimiting.Builder#callerAttribute}. Standard output carries the protocol only;
 * logging (slf4j-simple) goes to standard error.
 */
final class StdioFixtureServer {
  private StdioFixtureServer() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length < 2 || !(args[0].equals("sync") || args[0].equals("async"))) {
      System.err.println("usage: StdioFixtureServer sync|async RESULT|ERROR [--user=U] [--tenant=T]");
      System.exit(2);
    }
    boolean async = args[0].equals("async");
    DenialMode mode = DenialMode.valueOf(args[1]);

    FakeClock clock = FakeClock.create();
    AtomicInteger handlerCalls = new AtomicInteger();
    DemoTools.CallerLog callers = new DemoTools.CallerLog();
    RateLimiter limiter = RateLimiter.builder(DemoTools.policy()).clock(clock)
        .store(LimiterStore.inMemory(10_000, clock)).listener(callers).build();
    McpRateLimiting.Builder b = McpRateLimiting.builder(limiter).denialMode(mode);
    for (int i = 2; i < args.length; i++) {
      if (args[i].startsWith("--user=")) {
        b.callerAttribute(CallContext.USER, args[i].substring("--user=".length()));
      } else if (args[i].startsWith("--tenant=")) {
        b.callerAttribute(CallContext.TENANT, args[i].substring("--tenant=".length()));
      } else {
        System.err.println("unknown argument " + args[i]);
        System.exit(2);
      }
    }
    McpRateLimiting limits = b.build();

    StdioServerTransportProvider transport = new StdioServerTransportProvider(McpJsonDefaults.getMapper());
    McpSchema.ServerCapabilities caps = McpSchema.ServerCapabilities.builder().tools(true).build();
    if (async) {
      List<McpServerFeatures.AsyncToolSpecification> tools = new ArrayList<>(limits.wrapAsyncTools(DemoTools.asyncTools(handlerCalls)));
      tools.addAll(DemoTools.asyncControlTools(clock, handlerCalls, callers));
      var server = McpServer.async(transport).serverInfo("stdio-fixture", "1").capabilities(caps).tools(tools);
      if (McpToolFilters.available()) {
        server.addToolFilter(McpToolFilters.async(limits));
      }
      server.build();
    } else {
      List<McpServerFeatures.SyncToolSpecification> tools = new ArrayList<>(limits.wrapSyncTools(DemoTools.syncTools(handlerCalls)));
      tools.addAll(DemoTools.syncControlTools(clock, handlerCalls, callers));
      var server = McpServer.sync(transport).serverInfo("stdio-fixture", "1").capabilities(caps).tools(tools);
      if (McpToolFilters.available()) {
        server.addToolFilter(McpToolFilters.sync(limits));
      }
      server.build();
    }
    // The client ends this process when it closes; should the test JVM die first, do not linger.
    ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> System.exit(0)));
    Thread.currentThread().join(); // the transport's threads serve; main only keeps the process up
  }
}
