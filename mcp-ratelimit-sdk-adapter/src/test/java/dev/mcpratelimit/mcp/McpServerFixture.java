package dev.mcpratelimit.mcp;

import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.server.transport.HttpServletStatelessServerTransport;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.http.HttpServlet;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import reactor.core.publisher.Mono;

/**
 * A real MCP server (sync, async or stateless) over Streamable HTTP in embedded Tomcat on a free
 * localhost port, with rate-limited demo tools, and real SDK clients connecting to it.
 */
final class McpServerFixture implements AutoCloseable {
  enum Kind { SYNC, ASYNC, STATELESS }

  static final McpSchema.JsonSchema EMPTY_SCHEMA = new McpSchema.JsonSchema("object", Map.of(), List.of(), null, null, null);

  final FakeClock clock = FakeClock.create();
  final RateLimiter limiter;
  final McpRateLimiting limits;
  final AtomicInteger handlerCalls = new AtomicInteger();
  private final Tomcat tomcat;
  private final List<McpSyncClient> clients = new ArrayList<>();
  private final Object server;
  final int port;

  McpServerFixture(Kind kind, RateLimitPolicy policy, DenialMode mode) throws Exception {
    limiter = RateLimiter.builder(policy).clock(clock).store(LimiterStore.inMemory(10_000, clock)).build();
    limits = McpRateLimiting.builder(limiter).denialMode(mode).build();
    IdentityExtractor identity = IdentityExtractor.builder()
        .header("X-User-Id", "user").header("X-Tenant-Id", "tenant").build();
    HttpServlet servlet;
    if (kind == Kind.STATELESS) {
      HttpServletStatelessServerTransport t = HttpServletStatelessServerTransport.builder()
          .messageEndpoint("/mcp").contextExtractor(identity).build();
      server = McpServer.sync(t).serverInfo("fixture", "1")
          .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
          .tools(limits.wrapStatelessSyncTools(statelessTools()))
          .addToolFilter(limits.toolFilter())
          .build();
      servlet = t;
    } else {
      HttpServletStreamableServerTransportProvider t = HttpServletStreamableServerTransportProvider.builder()
          .mcpEndpoint("/mcp").contextExtractor(identity).build();
      if (kind == Kind.SYNC) {
        server = McpServer.sync(t).serverInfo("fixture", "1")
            .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
            .tools(limits.wrapSyncTools(syncTools()))
            .addToolFilter(limits.toolFilter())
            .build();
      } else {
        server = McpServer.async(t).serverInfo("fixture", "1")
            .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
            .tools(limits.wrapAsyncTools(asyncTools()))
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
    return McpSchema.Tool.builder(name).description(name).inputSchema(EMPTY_SCHEMA).build();
  }

  /** The demo tool's behaviour, shared by every server kind. */
  private McpSchema.CallToolResult behave(String name, Map<String, Object> args) {
    handlerCalls.incrementAndGet();
    switch (name) {
      case "fail":
        throw new IllegalStateException("handler failed");
      case "soft_fail":
        return McpSchema.CallToolResult.builder().addTextContent("upstream said no").isError(true).build();
      case "github":
        throw new UpstreamThrottledException(Duration.ofSeconds(30), dev.mcpratelimit.KeyResolvers.tenant());
      default:
        return McpSchema.CallToolResult.builder().addTextContent("ok " + name).isError(false).build();
    }
  }

  static final List<String> TOOLS = List.of("echo", "search", "create_issue", "fail", "soft_fail", "github", "delete_repository");

  private List<McpServerFeatures.SyncToolSpecification> syncTools() {
    List<McpServerFeatures.SyncToolSpecification> l = new ArrayList<>();
    for (String n : TOOLS) {
      l.add(new McpServerFeatures.SyncToolSpecification(tool(n), (ex, req) -> behave(n, req.arguments())));
    }
    return l;
  }

  private List<McpServerFeatures.AsyncToolSpecification> asyncTools() {
    List<McpServerFeatures.AsyncToolSpecification> l = new ArrayList<>();
    for (String n : TOOLS) {
      l.add(new McpServerFeatures.AsyncToolSpecification(tool(n), (ex, req) -> Mono.fromCallable(() -> behave(n, req.arguments()))));
    }
    return l;
  }

  private List<McpStatelessServerFeatures.SyncToolSpecification> statelessTools() {
    List<McpStatelessServerFeatures.SyncToolSpecification> l = new ArrayList<>();
    for (String n : TOOLS) {
      l.add(new McpStatelessServerFeatures.SyncToolSpecification(tool(n), (ctx, req) -> behave(n, req.arguments())));
    }
    return l;
  }

  /** A real SDK client that identifies as {@code user} in {@code tenant} (headers set by a gateway). */
  McpSyncClient client(String user, String tenant) {
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
