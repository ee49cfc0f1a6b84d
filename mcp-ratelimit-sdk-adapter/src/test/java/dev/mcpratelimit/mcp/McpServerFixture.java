package dev.mcpratelimit.mcp;

import dev.mcpratelimit.internal.seam.Seams;
import dev.mcpratelimit.RateLimitListener;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.transport.HttpServletStatelessServerTransport;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.http.HttpServlet;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A real MCP server (sync, async or stateless) over Streamable HTTP in embedded Tomcat on a free
 * localhost port, with the rate-limited {@link DemoTools} (or, through {@link Hooks}, tools of a
 * scenario's own; the stateless server also has the demo resource, template and prompt), and real
 * SDK clients, sync and async, connecting to it.
 */
final class McpServerFixture implements ScenarioFixture {
  enum Kind { SYNC, ASYNC, STATELESS }

  /**
   * What a scenario may change about the server besides its kind, policy and denial mode.
   *
   * @param scheduler where the adapter times async waits ({@link McpRateLimiting.Builder#scheduler})
   * @param asyncTools the tools of an {@link Kind#ASYNC} server, rate-limited by the fixture; null
   *     for the {@link DemoTools}
   * @param container configures the Tomcat context before the server starts (valves, background
   *     processing)
   * @param store wraps the fixture's in-memory store (e.g. to make it fail)
   * @param listener a further listener of the limiter
   */
  record Hooks(Scheduler scheduler, @Nullable List<McpServerFeatures.AsyncToolSpecification> asyncTools,
      Consumer<Context> container, UnaryOperator<LimiterStore> store, RateLimitListener listener) {
    /** The demo server: default scheduler, demo tools, plain context. */
    static final Hooks NONE = new Hooks(Schedulers.parallel(), null, ctx -> { });

    Hooks(Scheduler scheduler, @Nullable List<McpServerFeatures.AsyncToolSpecification> asyncTools,
        Consumer<Context> container) {
      this(scheduler, asyncTools, container, UnaryOperator.identity(), RateLimitListener.noop());
    }

    /** The demo server on a store wrapped by {@code store}, reporting to {@code listener} too. */
    static Hooks store(UnaryOperator<LimiterStore> store, RateLimitListener listener) {
      return new Hooks(Schedulers.parallel(), null, ctx -> { }, store, listener);
    }
  }

  final FakeClock clock = FakeClock.create();
  final RateLimiter limiter;
  final McpRateLimiting limits;
  final AtomicInteger handlerCalls = new AtomicInteger();
  /** Blocking waits the limiter made ({@link RateLimiter#acquireBlocking}); each parks a thread. */
  private final AtomicInteger blockingWaits = new AtomicInteger();
  private final DemoTools.CallerLog callers = new DemoTools.CallerLog();
  private final Tomcat tomcat;
  private final List<McpSyncClient> clients = new ArrayList<>();
  private final List<McpAsyncClient> asyncClients = new ArrayList<>();
  private final Object server;
  final int port;

  McpServerFixture(Kind kind, RateLimitPolicy policy, DenialMode mode) throws Exception {
    this(kind, policy, mode, Hooks.NONE);
  }

  McpServerFixture(Kind kind, RateLimitPolicy policy, DenialMode mode, Hooks hooks) throws Exception {
    if (hooks.asyncTools() != null && kind != Kind.ASYNC) {
      throw new IllegalArgumentException("async tools need an async server, not " + kind);
    }
    limiter = Seams.sleeper(RateLimiter.builder(policy).clock(clock).store(hooks.store().apply(LimiterStore.inMemory(10_000, clock)))
        .listener(callers).listener(hooks.listener()), nanos -> {
          blockingWaits.incrementAndGet();
          TimeUnit.NANOSECONDS.sleep(nanos);
        }).build();
    limits = McpRateLimiting.builder(limiter).denialMode(mode).scheduler(hooks.scheduler()).build();
    IdentityExtractor identity = IdentityExtractor.builder()
        .header("X-User-Id", "user").header("X-Tenant-Id", "tenant").build();
    HttpServlet servlet;
    if (kind == Kind.STATELESS) {
      HttpServletStatelessServerTransport t = HttpServletStatelessServerTransport.builder()
          .messageEndpoint("/mcp").contextExtractor(identity).build();
      var b = McpServer.sync(t).serverInfo("fixture", "1")
          .capabilities(McpSchema.ServerCapabilities.builder().tools(true).resources(false, false).prompts(false).build())
          .tools(limits.wrapStatelessSyncTools(DemoTools.statelessTools(handlerCalls)))
          .resources(limits.wrap(DemoTools.statelessResource(handlerCalls)))
          .resourceTemplates(limits.wrap(DemoTools.statelessTemplate(handlerCalls)))
          .prompts(limits.wrap(DemoTools.statelessPrompt(handlerCalls)));
      if (McpToolFilters.available()) { // SDK 2.1+; the suite also runs on 2.0 (mcp-ratelimit-sdk20-tests)
        b.addToolFilter(McpToolFilters.sync(limits));
      }
      server = b.build();
      servlet = t;
    } else {
      HttpServletStreamableServerTransportProvider t = HttpServletStreamableServerTransportProvider.builder()
          .mcpEndpoint("/mcp").contextExtractor(identity).build();
      if (kind == Kind.SYNC) {
        var b = McpServer.sync(t).serverInfo("fixture", "1")
            .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
            .tools(limits.wrapSyncTools(DemoTools.syncTools(handlerCalls)));
        if (McpToolFilters.available()) {
          b.addToolFilter(McpToolFilters.sync(limits));
        }
        server = b.build();
      } else {
        var b = McpServer.async(t).serverInfo("fixture", "1")
            .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
            .tools(limits.wrapAsyncTools(hooks.asyncTools() != null ? hooks.asyncTools() : DemoTools.asyncTools(handlerCalls)));
        if (McpToolFilters.available()) {
          b.addToolFilter(McpToolFilters.async(limits));
        }
        server = b.build();
      }
      servlet = t;
    }
    tomcat = new Tomcat();
    tomcat.setBaseDir(Files.createTempDirectory("tomcat").toString());
    tomcat.setPort(0);
    Context ctx = tomcat.addContext("", null);
    Tomcat.addServlet(ctx, "mcp", servlet).setAsyncSupported(true);
    ctx.addServletMappingDecoded("/*", "mcp");
    hooks.container().accept(ctx);
    // Tomcat closes a keep-alive connection after 100 requests by default, and the JDK client
    // sometimes sends its next request on the closing connection ("HTTP/1.1 header parser received
    // no bytes"): unlimited keep-alive requests, as a server behind a proxy would have
    tomcat.getConnector().setProperty("maxKeepAliveRequests", "-1");
    tomcat.start();
    port = tomcat.getConnector().getLocalPort();
  }

  static McpSchema.Tool tool(String name) {
    return DemoTools.tool(name);
  }

  /** A real SDK client that identifies as {@code user} in {@code tenant} (headers set by a gateway). */
  @Override
  public McpSyncClient client(@Nullable String user, @Nullable String tenant) {
    McpSyncClient c = McpClient.sync(transport(user, tenant)).requestTimeout(Duration.ofSeconds(20)).build();
    c.initialize();
    clients.add(c);
    return c;
  }

  /**
   * A real SDK async client, connected and initialized, identifying as {@link #client} does;
   * closed with the fixture.
   */
  McpAsyncClient asyncClient(@Nullable String user, @Nullable String tenant) {
    McpAsyncClient c = McpClient.async(transport(user, tenant)).requestTimeout(Duration.ofSeconds(20)).build();
    c.initialize().block(Duration.ofSeconds(20));
    asyncClients.add(c);
    return c;
  }

  private HttpClientStreamableHttpTransport transport(@Nullable String user, @Nullable String tenant) {
    HttpRequest.Builder rb = HttpRequest.newBuilder();
    if (user != null) {
      rb.header("X-User-Id", user);
    }
    if (tenant != null) {
      rb.header("X-Tenant-Id", tenant);
    }
    return HttpClientStreamableHttpTransport.builder("http://localhost:" + port).endpoint("/mcp").requestBuilder(rb).build();
  }

  @Override
  public boolean oneServerForAllClients() {
    return true;
  }

  @Override
  public void setClock(Instant now) {
    clock.set(now);
  }

  @Override
  public void advanceClock(Duration d) {
    clock.advance(d);
  }

  @Override
  public int handlerCalls() {
    return handlerCalls.get();
  }

  /** @return how many blocking waits the limiter made, each parking the calling thread */
  int blockingWaits() {
    return blockingWaits.get();
  }

  @Override
  public Set<String> callers() {
    return Set.copyOf(callers.seen());
  }

  static McpSchema.CallToolResult call(McpSyncClient c, String tool) {
    return c.callTool(new McpSchema.CallToolRequest(tool, Map.of()));
  }

  /**
   * Calls a tool whose call is denied before its handler runs, in JSON-RPC error mode, retrying up
   * to three more times when no response arrived ("HTTP/1.1 header parser received no bytes"). The
   * SDK's servlet transport now and then closes the connection after a JSON-RPC error without
   * sending it (also after a handler ran: a retry is safe only for denials, which run nothing).
   */
  static McpSchema.CallToolResult callAcrossClosedConnections(McpSyncClient c, String tool) {
    for (int attempt = 1; ; attempt++) {
      try {
        return c.callTool(new McpSchema.CallToolRequest(tool, Map.of()));
      } catch (RuntimeException e) {
        if (attempt == 4 || !closedConnection(e)) {
          throw e;
        }
      }
    }
  }

  /** Whether {@code e} is the SDK's servlet transport closing the connection with no response. */
  static boolean closedConnection(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.io.IOException && String.valueOf(t.getMessage()).contains("header parser received no bytes")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() throws Exception { // NOPMD
    for (McpSyncClient c : clients) {
      try {
        c.closeGracefully();
      } catch (RuntimeException ignored) {
        // best effort
      }
    }
    for (McpAsyncClient c : asyncClients) {
      try {
        c.closeGracefully().block(Duration.ofSeconds(5));
      } catch (RuntimeException ignored) {
        // best effort
      }
    }
    if (server instanceof AutoCloseable ac) {
      ac.close();
    } else if (server instanceof io.modelcontextprotocol.server.McpSyncServer s) {
      s.closeGracefully();
    } else if (server instanceof io.modelcontextprotocol.server.McpAsyncServer s) {
      s.closeGracefully().block(Duration.ofSeconds(5));
    } else if (server instanceof io.modelcontextprotocol.server.McpStatelessSyncServer s) {
      s.closeGracefully();
    }
    tomcat.stop();
    tomcat.destroy();
  }
}
