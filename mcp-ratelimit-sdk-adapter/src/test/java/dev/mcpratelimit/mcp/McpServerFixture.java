package dev.mcpratelimit.mcp;

import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.server.McpServer;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.jspecify.annotations.Nullable;

/**
 * A real MCP server (sync, async or stateless) over Streamable HTTP in embedded Tomcat on a free
 * localhost port, with the rate-limited {@link DemoTools}, and real SDK clients connecting to it.
 */
final class McpServerFixture implements ScenarioFixture {
  enum Kind { SYNC, ASYNC, STATELESS }

  final FakeClock clock = FakeClock.create();
  final RateLimiter limiter;
  final McpRateLimiting limits;
  final AtomicInteger handlerCalls = new AtomicInteger();
  private final DemoTools.CallerLog callers = new DemoTools.CallerLog();
  private final Tomcat tomcat;
  private final List<McpSyncClient> clients = new ArrayList<>();
  private final Object server;
  final int port;

  McpServerFixture(Kind kind, RateLimitPolicy policy, DenialMode mode) throws Exception {
    limiter = RateLimiter.builder(policy).clock(clock).store(LimiterStore.inMemory(10_000, clock))
        .listener(callers).build();
    limits = McpRateLimiting.builder(limiter).denialMode(mode).build();
    IdentityExtractor identity = IdentityExtractor.builder()
        .header("X-User-Id", "user").header("X-Tenant-Id", "tenant").build();
    HttpServlet servlet;
    if (kind == Kind.STATELESS) {
      HttpServletStatelessServerTransport t = HttpServletStatelessServerTransport.builder()
          .messageEndpoint("/mcp").contextExtractor(identity).build();
      server = McpServer.sync(t).serverInfo("fixture", "1")
          .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
          .tools(limits.wrapStatelessSyncTools(DemoTools.statelessTools(handlerCalls)))
          .addToolFilter(limits.toolFilter())
          .build();
      servlet = t;
    } else {
      HttpServletStreamableServerTransportProvider t = HttpServletStreamableServerTransportProvider.builder()
          .mcpEndpoint("/mcp").contextExtractor(identity).build();
      if (kind == Kind.SYNC) {
        server = McpServer.sync(t).serverInfo("fixture", "1")
            .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
            .tools(limits.wrapSyncTools(DemoTools.syncTools(handlerCalls)))
            .addToolFilter(limits.toolFilter())
            .build();
      } else {
        server = McpServer.async(t).serverInfo("fixture", "1")
            .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
            .tools(limits.wrapAsyncTools(DemoTools.asyncTools(handlerCalls)))
            .addToolFilter(limits.asyncToolFilter())
            .build();
      }
      servlet = t;
    }
    tomcat = new Tomcat();
    tomcat.setBaseDir(Files.createTempDirectory("tomcat").toString());
    tomcat.setPort(0);
    Context ctx = tomcat.addContext("", null);
    Tomcat.addServlet(ctx, "mcp", servlet).setAsyncSupported(true);
    ctx.addServletMappingDecoded("/*", "mcp");
    tomcat.getConnector();
    tomcat.start();
    port = tomcat.getConnector().getLocalPort();
  }

  static McpSchema.Tool tool(String name) {
    return DemoTools.tool(name);
  }

  /** A real SDK client that identifies as {@code user} in {@code tenant} (headers set by a gateway). */
  @Override
  public McpSyncClient client(@Nullable String user, @Nullable String tenant) {
    HttpRequest.Builder rb = HttpRequest.newBuilder();
    if (user != null) {
      rb.header("X-User-Id", user);
    }
    if (tenant != null) {
      rb.header("X-Tenant-Id", tenant);
    }
    HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder("http://localhost:" + port)
        .endpoint("/mcp").requestBuilder(rb).build();
    McpSyncClient c = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(20)).build();
    c.initialize();
    clients.add(c);
    return c;
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

  @Override
  public Set<String> callers() {
    return Set.copyOf(callers.seen());
  }

  static McpSchema.CallToolResult call(McpSyncClient c, String tool) {
    return c.callTool(new McpSchema.CallToolRequest(tool, Map.of()));
  }

  /**
   * Calls a tool whose call is denied before any handler runs, retrying once when the connection
   * dropped ("header parser received no bytes": the JDK client and the server's error path
   * sometimes race on a keep-alive connection). Safe only where a retry cannot double-count.
   */
  static McpSchema.CallToolResult callRetryingDroppedConnection(McpSyncClient c, String tool) {
    try {
      return c.callTool(new McpSchema.CallToolRequest(tool, Map.of()));
    } catch (RuntimeException e) {
      if (!staleConnection(e)) {
        throw e;
      }
      return c.callTool(new McpSchema.CallToolRequest(tool, Map.of()));
    }
  }

  private static boolean staleConnection(Throwable e) {
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
