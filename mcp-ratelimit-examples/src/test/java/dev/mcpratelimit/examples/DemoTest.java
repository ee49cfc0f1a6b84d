package dev.mcpratelimit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import dev.mcpratelimit.trace.TraceEvent;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's main command, run in the test suite, and the demo server over stdio. */
class DemoTest {

  static int cell(String table, String tenant, String user, String tool, String rule, int column) {
    Pattern row = Pattern.compile("(?m)^" + tenant + "\\s+" + user + "\\s+" + tool + "\\s+" + Pattern.quote(rule)
        + "\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s*$");
    Matcher m = row.matcher(table);
    assertTrue(m.find(), () -> "no row " + tenant + "/" + user + "/" + tool + "/" + rule + " in\n" + table);
    return Integer.parseInt(m.group(column));
  }

  @Test
  void demoRunsEndToEndAndEveryLimitHolds(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    Path trace = dir.resolve("demo.jsonl");
    int code = Demo.run(new PrintStream(buf, true, StandardCharsets.UTF_8), trace);
    String out = buf.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, out);
    // --record: the live server's trace, with every decided call and no raw identity
    String text = Files.readString(trace, StandardCharsets.UTF_8);
    for (String raw : List.of("alice", "bob", "carol", "dave", "acme", "globex")) {
      assertFalse(text.contains("\"" + raw + "\""), raw + " is written raw");
    }
    List<TraceEvent> events = TraceEvent.read(trace);
    assertTrue(out.contains("Recorded " + events.size() + " calls to " + trace), out);
    assertEquals(44, events.stream().filter(e -> "issue burst".equals(e.rule())).count(), "the 44 burst denials");
    assertEquals(3, events.stream().filter(e -> e.target().equals("create_issue") && "granted".equals(e.decision())).count());
    // bob calls the tool hidden from him, ada (an admin) sees and calls it
    assertEquals(2, events.stream().filter(e -> e.target().equals("delete_repository")).count());
    assertEquals(1, events.stream().filter(e -> e.target().equals("delete_repository") && "granted".equals(e.decision())).count());
    assertEquals(3, cell(out, "acme", "alice", "create_issue", "-", 1), "the runaway loop opened 3 issues");
    assertEquals(44, cell(out, "acme", "alice", "create_issue", "issue burst", 2));
    assertEquals(1, cell(out, "acme", "bob", "delete_repository", "hidden", 2), "hidden from a non-admin");
    assertEquals(1, cell(out, "acme", "ada", "delete_repository", "-", 1), "visible to and callable by the admin");
    assertEquals(5, cell(out, "acme", "bob", "export_report", "-", 1), "the pro plan exports 10 a minute");
    assertEquals(2, cell(out, "globex", "carol", "export_report", "-", 1), "the free plan exports 2 a minute");
    assertEquals(3, cell(out, "globex", "carol", "export_report", "free plan", 2));
    assertTrue(out.contains("The free plan exports 2 reports a minute; pro exports 10. Retry after"), out);
    assertEquals(5, cell(out, "acme", "bob", "search_code", "-", 1), "search waits instead of failing");
    assertTrue(cell(out, "acme", "bob", "search_code", "-", 3) >= 1, "and some searches waited");
    assertEquals(3, cell(out, "globex", "carol", "create_charge", "-", 1));
    assertEquals(2, cell(out, "globex", "carol", "create_charge", "daily spend cap", 2));
    assertEquals(1, cell(out, "globex", "carol", "create_charge", "max single charge", 2));
    assertTrue(cell(out, "globex", "dave", "run_query", "one query at a time", 2) >= 1, "parallel queries were refused");
    assertTrue(out.contains("Slow down — max 3 issues per minute. Retry after"), out);
    assertTrue(out.contains("All limits held"), out);
    // not a terminal: plain progress lines, never a line redrawn with carriage returns
    assertFalse(Pattern.compile("\r(?!\n)").matcher(out).find(), "carriage return in non-terminal output");
    Matcher progress = Pattern.compile("(?m)^  tool calls: (\\d+)   denied: (\\d+)$").matcher(out);
    List<Integer> counts = new java.util.ArrayList<>();
    while (progress.find()) {
      counts.add(Integer.parseInt(progress.group(1)));
    }
    assertTrue(counts.size() >= 3, () -> "periodic progress lines, got " + counts + " in\n" + out);
    for (int i = 1; i < counts.size(); i++) {
      assertTrue(counts.get(i) - counts.get(i - 1) >= AgentBurst.PROGRESS_EVERY || i == counts.size() - 1,
          () -> "one line per " + AgentBurst.PROGRESS_EVERY + " calls: " + counts);
    }
  }

  @Test
  void demoServerSpeaksStdio() {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ServerParameters params = ServerParameters.builder(java)
        .args("-cp", System.getProperty("java.class.path"), DemoServer.class.getName(), "--stdio").build();
    McpSyncClient client = McpClient.sync(new StdioClientTransport(params, McpJsonDefaults.getMapper()))
        .requestTimeout(Duration.ofSeconds(30)).initializationTimeout(Duration.ofSeconds(60)).build();
    try {
      client.initialize();
      List<String> tools = client.listTools().tools().stream().map(McpSchema.Tool::name).toList();
      assertTrue(tools.contains("create_issue"));
      assertFalse(tools.contains("delete_repository"), "hidden over stdio too");
      for (int i = 0; i < 3; i++) {
        assertFalse(client.callTool(new McpSchema.CallToolRequest("create_issue", Map.of("title", "t"))).isError());
      }
      McpSchema.CallToolResult denied = client.callTool(new McpSchema.CallToolRequest("create_issue", Map.of("title", "t")));
      assertTrue(denied.isError());
      @SuppressWarnings("unchecked")
      Map<String, Object> s = (Map<String, Object>) denied.structuredContent();
      assertEquals("issue burst", s.get("rule"));
      assertEquals("rate_limited", s.get("error"));
    } finally {
      client.closeGracefully();
    }
  }
}
