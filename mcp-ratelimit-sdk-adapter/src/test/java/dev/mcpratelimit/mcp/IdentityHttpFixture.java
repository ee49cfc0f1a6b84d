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
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.jspecify.annotations.Nullable;

/**
 * A real sync MCP server over Streamable HTTP in embedded Tomcat on a free port, whose callers
 * carry user, tenant, plan and role headers (as an authenticating gateway would set them), with
 * the {@link McpHttpRateLimitFilter} in front when asked; real SDK clients and the JDK
 * {@link HttpClient} talk to it. The clock is fake and starts at the top of a minute.
 */
final class IdentityHttpFixture implements AutoCloseable {
  static final List<String> TOOLS = List.of("echo", "search", "delete_repository", "beta_report");

  final FakeClock clock = FakeClock.at(Instant.parse("2026-03-02T10:00:00Z"));
  final RateLimiter limiter;
  final McpRateLimiting limits;
  final AtomicInteger handlerCalls = new AtomicInteger();
  final int port;
  final HttpClient http = HttpClient.newHttpClient();
  private final Tomcat tomcat;
  private final McpSyncServer server;
  private final List<McpSyncClient> clients = new ArrayList<>();

  IdentityHttpFixture(RateLimitPolicy policy, DenialMode mode, boolean edge) throws Exception {
    this(policy, mode, edge, null);
  }

  /** @param edgeIdentity the edge filter's identity function; null: the transport's extractor */
  IdentityHttpFixture(RateLimitPolicy policy, DenialMode mode, boolean edge,
      @Nullable Function<HttpServletRequest, Map<String, String>> edgeIdentity) throws Exception {
    limiter = RateLimiter.builder(policy).clock(clock).store(LimiterStore.inMemory(10_000, clock)).build();
    limits = McpRateLimiting.builder(limiter).denialMode(mode).build();
    IdentityExtractor identity = identity();
    HttpServletStreamableServerTransportProvider t = HttpServletStreamableServerTransportProvider.builder()
        .mcpEndpoint("/mcp").contextExtractor(identity).build();
    List<McpServerFeatures.SyncToolSpecification> tools = new ArrayList<>();
    for (String n : TOOLS) {
      tools.add(new McpServerFeatures.SyncToolSpecification(DemoTools.tool(n), (ex, req) -> {
        handlerCalls.incrementAndGet();
        return McpSchema.CallToolResult.builder().addTextContent("ok " + n).isError(false).build();
      }));
    }
    server = McpServer.sync(t).serverInfo("identity-fixture", "1")
        .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
        .tools(limits.wrapSyncTools(tools)).addToolFilter(McpToolFilters.sync(limits)).build();
    tomcat = new Tomcat();
    tomcat.setBaseDir(Files.createTempDirectory("tomcat").toString());
    tomcat.setPort(0);
    Context ctx = tomcat.addContext("", null);
    Tomcat.addServlet(ctx, "mcp", t).setAsyncSupported(true);
    ctx.addServletMappingDecoded("/*", "mcp");
    if (edge) {
      FilterDef fd = new FilterDef();
      fd.setFilterName("edge");
      McpHttpRateLimitFilter.Builder fb = McpHttpRateLimitFilter.builder(limiter).denialMode(mode);
      fd.setFilter((edgeIdentity == null ? fb.identity(identity) : fb.identity(edgeIdentity)).build());
      fd.setAsyncSupported("true");
      ctx.addFilterDef(fd);
      FilterMap fm = new FilterMap();
      fm.setFilterName("edge");
      fm.addURLPattern("/*");
      ctx.addFilterMap(fm);
    }
    tomcat.getConnector().setProperty("maxKeepAliveRequests", "-1");
    tomcat.start();
    port = tomcat.getConnector().getLocalPort();
  }

  static IdentityExtractor identity() {
    return IdentityExtractor.builder().header("X-User-Id", "user").header("X-Tenant-Id", "tenant")
        .header("X-Plan", "plan").header("X-Role", "role").build();
  }

  /** A real SDK client, initialized, sending these identity headers on every request. */
  McpSyncClient client(Map<String, String> headers) {
    HttpRequest.Builder rb = HttpRequest.newBuilder();
    headers.forEach(rb::header);
    McpSyncClient c = McpClient.sync(HttpClientStreamableHttpTransport.builder("http://localhost:" + port)
        .endpoint("/mcp").requestBuilder(rb).build()).requestTimeout(Duration.ofSeconds(20)).build();
    c.initialize();
    clients.add(c);
    return c;
  }

  static McpSchema.CallToolResult call(McpSyncClient c, String tool) {
    return c.callTool(new McpSchema.CallToolRequest(tool, Map.of()));
  }

  static List<String> listed(McpSyncClient c) {
    return c.listTools().tools().stream().map(McpSchema.Tool::name).sorted().toList();
  }

  /** A raw JSON-RPC POST to the endpoint with the JDK client. */
  HttpResponse<String> post(String body, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/mcp"))
        .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String initialize(int id) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}";
  }

  @Override
  public void close() throws Exception {
    for (McpSyncClient c : clients) {
      try {
        c.closeGracefully();
      } catch (RuntimeException ignored) {
        // best effort
      }
    }
    server.closeGracefully();
    tomcat.stop();
    tomcat.destroy();
  }
}
