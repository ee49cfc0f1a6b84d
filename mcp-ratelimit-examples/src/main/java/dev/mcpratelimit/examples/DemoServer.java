package dev.mcpratelimit.examples;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Clock;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimitListener;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.mcp.DenialMode;
import dev.mcpratelimit.mcp.IdentityExtractor;
import dev.mcpratelimit.mcp.McpHttpRateLimitFilter;
import dev.mcpratelimit.mcp.McpRateLimiting;
import dev.mcpratelimit.mcp.McpToolFilters;
import dev.mcpratelimit.policy.PolicyFile;
import dev.mcpratelimit.policy.PolicyLoader;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/**
 * The demo MCP server: realistic tools (a cheap read, an expensive query, {@code create_issue},
 * {@code create_charge}, a code search that waits, and a destructive tool the policy hides),
 * rate-limited by {@code policies/demo.yaml}. Serves Streamable HTTP on localhost or stdio.
 *
 * <pre>
 * java ... dev.mcpratelimit.examples.DemoServer --http 8080   # http://localhost:8080/mcp
 * java ... dev.mcpratelimit.examples.DemoServer --stdio
 * </pre>
 *
 * <p>Over HTTP the caller's identity comes from the {@code X-User-Id}, {@code X-Tenant-Id},
 * {@code X-Plan} and {@code X-Role} headers, as an authenticating gateway in front of the server
 * would set them (never trust such headers from clients directly), and the policy's edge rules
 * limit new sessions per client address in a {@link McpHttpRateLimitFilter} before the SDK.
 */
public final class DemoServer implements AutoCloseable {
  /** What the server itself observed, to check from outside that the limits held. */
  public static final class Observed {
    public final Map<String, AtomicInteger> executed = new ConcurrentHashMap<>();
    public final Map<String, AtomicInteger> maxConcurrentQueries = new ConcurrentHashMap<>();
    public final Map<String, AtomicLong> charged = new ConcurrentHashMap<>();
    public final Map<String, AtomicInteger> waited = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();

    void ran(String tool, String user) {
      executed.computeIfAbsent(tool + "|" + user, k -> new AtomicInteger()).incrementAndGet();
    }
  }

  final Observed observed = new Observed();
  final RateLimiter limiter;
  final McpRateLimiting limits;
  private final DenialMode denialMode;
  private final List<McpServerFeatures.SyncToolSpecification> tools;
  private Tomcat tomcat;
  private McpSyncServer server;
  private int port;

  /** Tomcat's own logging, kept quiet so the demo's output stays readable (strong reference). */
  private static final java.util.logging.Logger TOMCAT_LOG = java.util.logging.Logger.getLogger("org.apache");

  public DemoServer() {
    this(null);
  }

  /**
   * @param recorder when not null, every decided call is also written to its trace (see
   *     {@code --record})
   */
  public DemoServer(@org.jspecify.annotations.Nullable RateLimitListener recorder) {
    TOMCAT_LOG.setLevel(java.util.logging.Level.SEVERE);
    PolicyFile policy = loadPolicy();
    RateLimitListener waits = new RateLimitListener() {
      @Override
      public void onWaited(CallContext call, long waitedNanos) {
        observed.waited.computeIfAbsent(call.target() + "|" + call.user(), k -> new AtomicInteger()).incrementAndGet();
      }
    };
    RateLimiter.Builder lb = RateLimiter.builder(policy.policy()).listener(waits).listener(McpRateLimiting.logging(Clock.system()));
    if (recorder != null) {
      lb.listener(recorder);
    }
    limiter = lb.build();
    limits = McpRateLimiting.builder(limiter).denialMode(policy.denialMode()).build();
    denialMode = policy.denialMode();
    tools = limits.wrapSyncTools(List.of(
        tool("read_file", "Read a file from the repository (cheap)", (user, args) -> "contents of " + args.getOrDefault("path", "README.md")),
        tool("run_query", "Run an analytics query (expensive)", this::runQuery),
        tool("create_issue", "Open a GitHub issue", (user, args) -> "created issue #" + (1000 + observed.executed.size())),
        tool("create_charge", "Charge a customer (amount in cents)", this::charge),
        tool("search_code", "Search the code base", (user, args) -> "3 matches for " + args.getOrDefault("q", "")),
        tool("export_report", "Export a usage report (limited by the tenant's plan)", (user, args) -> "report.csv"),
        tool("delete_repository", "Delete a repository (destructive; admins only)", (user, args) -> "deleted")));
  }

  static PolicyFile loadPolicy() {
    try (InputStream in = DemoServer.class.getResourceAsStream("/policies/demo.yaml")) {
      return PolicyLoader.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "policies/demo.yaml", false);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  interface Handler {
    String handle(String user, Map<String, Object> args) throws Exception;
  }

  private McpServerFeatures.SyncToolSpecification tool(String name, String description, Handler h) {
    McpSchema.Tool tool = McpSchema.Tool.builder(name).description(description)
        .inputSchema(new McpSchema.JsonSchema("object", Map.of(), List.of(), null, null, null)).build();
    return new McpServerFeatures.SyncToolSpecification(tool, (exchange, request) -> {
      Object u = exchange.transportContext().get(CallContext.USER);
      String user = u instanceof String s ? s : "anonymous";
      observed.ran(name, user);
      try {
        String text = h.handle(user, request.arguments() == null ? Map.of() : request.arguments());
        return McpSchema.CallToolResult.builder().addTextContent(text).isError(false).build();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  private String runQuery(String user, Map<String, Object> args) throws InterruptedException {
    AtomicInteger running = observed.running.computeIfAbsent(user, k -> new AtomicInteger());
    int now = running.incrementAndGet();
    observed.maxConcurrentQueries.computeIfAbsent(user, k -> new AtomicInteger()).accumulateAndGet(now, Math::max);
    try {
      Thread.sleep(150); // the simulated query's work
      return "42 rows";
    } finally {
      running.decrementAndGet();
    }
  }

  private String charge(String user, Map<String, Object> args) {
    long amount = ((Number) args.get("amount")).longValue();
    observed.charged.computeIfAbsent(user, k -> new AtomicLong()).addAndGet(amount);
    return "charged " + amount + " cents";
  }

  /** Starts Streamable HTTP on localhost ({@code port} 0 picks a free one). @return the endpoint URL */
  public String startHttp(int port) throws Exception {
    IdentityExtractor identity = IdentityExtractor.builder().header("X-User-Id", "user").header("X-Tenant-Id", "tenant")
        .header("X-Plan", "plan").header("X-Role", "role").build();
    HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
        .mcpEndpoint("/mcp").contextExtractor(identity).build();
    server = McpServer.sync(transport).serverInfo("mcp-ratelimit-demo", "0.1.0")
        .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
        .tools(tools).addToolFilter(McpToolFilters.sync(limits)).build();
    tomcat = new Tomcat();
    tomcat.setBaseDir(Files.createTempDirectory("mcp-ratelimit-demo").toString());
    tomcat.setPort(port);
    Context ctx = tomcat.addContext("", null);
    Tomcat.addServlet(ctx, "mcp", transport).setAsyncSupported(true);
    ctx.addServletMappingDecoded("/*", "mcp");
    // the HTTP edge: the policy's edge rules (new sessions per address) before the SDK
    FilterDef edge = new FilterDef();
    edge.setFilterName("mcp-edge");
    edge.setFilter(McpHttpRateLimitFilter.builder(limiter).identity(identity).denialMode(denialMode).build());
    edge.setAsyncSupported("true");
    ctx.addFilterDef(edge);
    FilterMap edgeMap = new FilterMap();
    edgeMap.setFilterName("mcp-edge");
    edgeMap.addURLPattern("/*");
    ctx.addFilterMap(edgeMap);
    tomcat.getConnector().setProperty("address", "127.0.0.1");
    // Tomcat's default closes a keep-alive connection after 100 requests, which the JDK HTTP client
    // sometimes races ("header parser received no bytes"); an agent's burst reuses one connection
    tomcat.getConnector().setProperty("maxKeepAliveRequests", "-1");
    tomcat.start();
    this.port = tomcat.getConnector().getLocalPort();
    return "http://localhost:" + this.port;
  }

  /** Serves MCP on this process's stdin/stdout until stdin closes. */
  public void startStdio() {
    StdioServerTransportProvider transport = new StdioServerTransportProvider(McpJsonDefaults.getMapper());
    server = McpServer.sync(transport).serverInfo("mcp-ratelimit-demo", "0.1.0")
        .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
        .tools(tools).addToolFilter(McpToolFilters.sync(limits)).build();
  }

  @Override
  public void close() throws Exception {
    if (server != null) {
      server.closeGracefully();
    }
    if (tomcat != null) {
      tomcat.stop();
      tomcat.destroy();
    }
  }

  /**
   * @param args {@code --http [port]} (default 8080) or {@code --stdio}
   */
  public static void main(String[] args) throws Exception {
    DemoServer demo = new DemoServer();
    if (args.length > 0 && args[0].equals("--stdio")) {
      demo.startStdio();
      Thread.currentThread().join(); // the stdio transport's threads serve until stdin closes
      return;
    }
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 8080;
    String url = demo.startHttp(port);
    System.out.println("mcp-ratelimit demo server: " + url + "/mcp  (identity headers: X-User-Id, X-Tenant-Id, X-Plan, X-Role)");
    System.out.println("Try it with the MCP Inspector: npx @modelcontextprotocol/inspector, transport Streamable HTTP.");
    Thread.currentThread().join();
  }
}
