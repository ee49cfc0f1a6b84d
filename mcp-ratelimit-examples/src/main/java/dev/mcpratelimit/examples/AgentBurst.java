package dev.mcpratelimit.examples;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An agent-burst client: real MCP SDK clients playing several users in two tenants against the
 * demo server, including a runaway loop that tries to open 47 identical issues. Prints progress
 * (one line redrawn in place on a terminal; a plain line every {@value #PROGRESS_EVERY} calls
 * anywhere else, so a pipe or a CI log gets readable lines) and a table of what was allowed,
 * denied and waited, with sample denials.
 */
public final class AgentBurst {
  /** Outcome counts of one (tenant, user, tool, rule) row. */
  static final class Row {
    final AtomicInteger allowed = new AtomicInteger();
    final AtomicInteger denied = new AtomicInteger();
    volatile String sample = "";
  }

  /** Calls between two progress lines when the output is not a terminal. */
  static final int PROGRESS_EVERY = 25;

  final Map<String, Row> rows = new ConcurrentHashMap<>();
  final AtomicInteger calls = new AtomicInteger();
  final AtomicInteger deniedTotal = new AtomicInteger();
  final List<String> hiddenListed = new ArrayList<>();
  /** Whether the admin's tools/list showed delete_repository. */
  volatile boolean adminSawDelete;
  private final String url;
  private final PrintStream out;
  private final boolean terminal;
  private final List<McpSyncClient> clients = new ArrayList<>();
  private int printedCalls; // guarded by this: the call count of the last plain progress line

  /**
   * @param url the demo server
   * @param out where progress goes
   * @param terminal whether {@code out} is a terminal, where the progress line is redrawn in place
   */
  AgentBurst(String url, PrintStream out, boolean terminal) {
    this.url = url;
    this.out = out;
    this.terminal = terminal;
  }

  private McpSyncClient client(String user, String tenant) {
    return client(user, tenant, "acme".equals(tenant) ? "pro" : "free", "dev");
  }

  /** A client as the gateway would identify it: user, tenant, the tenant's plan and the user's role. */
  private McpSyncClient client(String user, String tenant, String plan, String role) {
    HttpRequest.Builder rb = HttpRequest.newBuilder().header("X-User-Id", user).header("X-Tenant-Id", tenant)
        .header("X-Plan", plan).header("X-Role", role);
    McpSyncClient c = McpClient.sync(HttpClientStreamableHttpTransport.builder(url).endpoint("/mcp").requestBuilder(rb).build())
        .clientInfo(new McpSchema.Implementation("agent-" + user, "1.0"))
        .requestTimeout(Duration.ofSeconds(30)).build();
    c.initialize();
    synchronized (clients) {
      clients.add(c);
    }
    return c;
  }

  @SuppressWarnings("unchecked")
  private void call(McpSyncClient c, String tenant, String user, String tool, Map<String, Object> args) {
    McpSchema.CallToolResult r = c.callTool(new McpSchema.CallToolRequest(tool, args));
    calls.incrementAndGet();
    if (Boolean.TRUE.equals(r.isError()) && r.structuredContent() instanceof Map<?, ?> m && m.containsKey("rule")) {
      Map<String, Object> s = (Map<String, Object>) m;
      Row row = rows.computeIfAbsent(tenant + "|" + user + "|" + tool + "|" + s.get("rule"), k -> new Row());
      row.denied.incrementAndGet();
      row.sample = ((McpSchema.TextContent) r.content().get(0)).text();
      deniedTotal.incrementAndGet();
    } else {
      rows.computeIfAbsent(tenant + "|" + user + "|" + tool + "|-", k -> new Row()).allowed.incrementAndGet();
    }
    progress();
  }

  private synchronized void progress() { // one writer at a time, so the counts never go backwards
    if (terminal) {
      out.print("\r" + progressLine() + "   ");
      out.flush();
    } else if (calls.get() - printedCalls >= PROGRESS_EVERY) {
      printedCalls = calls.get();
      out.println(progressLine());
    }
  }

  /** Ends the progress output: the redrawn line, or a last plain line with the final counts. */
  private synchronized void endProgress() {
    if (terminal) {
      out.println();
    } else if (calls.get() != printedCalls) {
      printedCalls = calls.get();
      out.println(progressLine());
    }
  }

  private String progressLine() {
    return "  tool calls: " + calls.get() + "   denied: " + deniedTotal.get();
  }

  /** Runs every agent concurrently; returns when all are done. */
  void run() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> jobs = new ArrayList<>();
    // acme / alice: a stuck agent opening the same issue in a loop, as fast as it can
    jobs.add(pool.submit(() -> {
      McpSyncClient c = client("alice", "acme");
      for (int i = 0; i < 47; i++) {
        call(c, "acme", "alice", "create_issue", Map.of("title", "Bug: stale cache in auth module"));
      }
      return null;
    }));
    // acme / bob: a well-behaved agent reading files, then a code-search burst that waits
    jobs.add(pool.submit(() -> {
      McpSyncClient c = client("bob", "acme");
      for (int i = 0; i < 40; i++) {
        call(c, "acme", "bob", "read_file", Map.of("path", "src/Main" + i + ".java"));
      }
      for (int i = 0; i < 5; i++) {
        call(c, "acme", "bob", "search_code", Map.of("q", "cache"));
      }
      hiddenListed.addAll(c.listTools().tools().stream().map(McpSchema.Tool::name).filter("delete_repository"::equals).toList());
      call(c, "acme", "bob", "delete_repository", Map.of("name", "acme/api"));
      for (int i = 0; i < 5; i++) {
        call(c, "acme", "bob", "export_report", Map.of("month", "2026-0" + (i + 1))); // acme is on the pro plan
      }
      return null;
    }));
    // acme / ada: an admin, who sees and may call the destructive tool
    jobs.add(pool.submit(() -> {
      McpSyncClient c = client("ada", "acme", "pro", "admin");
      adminSawDelete = c.listTools().tools().stream().anyMatch(t -> t.name().equals("delete_repository"));
      call(c, "acme", "ada", "delete_repository", Map.of("name", "acme/old-prototype"));
      return null;
    }));
    // globex / carol: charges that would exceed the tenant's daily spend cap, and one too large
    jobs.add(pool.submit(() -> {
      McpSyncClient c = client("carol", "globex");
      call(c, "globex", "carol", "create_charge", Map.of("amount", 60000, "currency", "usd"));
      for (int i = 0; i < 5; i++) {
        call(c, "globex", "carol", "create_charge", Map.of("amount", 30000, "currency", "usd"));
      }
      for (int i = 0; i < 5; i++) {
        call(c, "globex", "carol", "export_report", Map.of("month", "2026-0" + (i + 1))); // globex is on the free plan
      }
      return null;
    }));
    // globex / dave: three parallel expensive queries (one at a time per user; tenant budget)
    for (int t = 0; t < 3; t++) {
      jobs.add(pool.submit(() -> {
        McpSyncClient c = client("dave", "globex");
        for (int i = 0; i < 4; i++) {
          call(c, "globex", "dave", "run_query", Map.of("sql", "select count(*) from events"));
        }
        return null;
      }));
    }
    for (Future<?> f : jobs) {
      f.get();
    }
    pool.shutdown();
    endProgress();
    for (McpSyncClient c : clients) {
      try {
        c.closeGracefully();
      } catch (RuntimeException ignored) {
        // shutting down
      }
    }
  }

  /** Prints the table: per tenant, user, tool and rule, with sample denial messages. */
  void printTable(Map<String, java.util.concurrent.atomic.AtomicInteger> waited) {
    Map<String, Row> sorted = new TreeMap<>(rows);
    String fmt = "%-7s %-6s %-18s %-20s %7s %6s %6s%n";
    out.printf(fmt, "TENANT", "USER", "TOOL", "RULE", "ALLOWED", "DENIED", "WAITED");
    for (Map.Entry<String, Row> e : sorted.entrySet()) {
      String[] k = e.getKey().split("\\|");
      AtomicInteger w = waited.get(k[2] + "|" + k[1]);
      out.printf(fmt, k[0], k[1], k[2], k[3], e.getValue().allowed.get(), e.getValue().denied.get(),
          k[3].equals("-") && w != null ? w.get() : 0);
    }
    out.println();
    out.println("Sample denials (what the agent reads):");
    for (Map.Entry<String, Row> e : sorted.entrySet()) {
      if (!e.getValue().sample.isEmpty()) {
        String[] k = e.getKey().split("\\|");
        out.println("  " + k[1] + " / " + k[2] + ": " + e.getValue().sample);
      }
    }
  }

  int allowed(String tenant, String user, String tool) {
    Row r = rows.get(tenant + "|" + user + "|" + tool + "|-");
    return r == null ? 0 : r.allowed.get();
  }

  int denied(String tenant, String user, String tool, String rule) {
    Row r = rows.get(tenant + "|" + user + "|" + tool + "|" + rule);
    return r == null ? 0 : r.denied.get();
  }
}
