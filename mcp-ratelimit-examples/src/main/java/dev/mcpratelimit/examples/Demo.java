package dev.mcpratelimit.examples;

import dev.mcpratelimit.trace.TraceRecorder;
import java.io.Console;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The README's main command: starts the demo MCP server on a free localhost port (Streamable
 * HTTP), drives it with the agent-burst client, prints the table, and checks from the server's
 * side that every limit held. Exits non-zero if any did not.
 */
public final class Demo {
  private Demo() {}

  /**
   * @param args none, or {@code --record FILE} to also write every decided call to a trace that
   *     {@code mcp-ratelimit-cli simulate} replays (identities hashed)
   */
  public static void main(String[] args) throws Exception {
    Path record = null;
    if (args.length == 2 && args[0].equals("--record")) {
      record = Path.of(args[1]);
    } else if (args.length != 0) {
      System.err.println("usage: Demo [--record FILE]");
      System.exit(2);
    }
    int code = run(System.out, record);
    System.exit(code);
  }

  /**
   * Runs the demo end to end.
   *
   * @param out where the progress, table and verdict go; the progress line is redrawn in place
   *     only when {@code out} is the standard output of a terminal
   * @return 0 when every limit held, 1 otherwise
   */
  public static int run(PrintStream out) throws Exception {
    return run(out, null);
  }

  /**
   * Runs the demo end to end, optionally recording a trace.
   *
   * @param out where the progress line, table and verdict go
   * @param record where to write the trace of every decided call, or {@code null}
   * @return 0 when every limit held, 1 otherwise
   */
  public static int run(PrintStream out, @Nullable Path record) throws Exception {
    TraceRecorder recorder = null;
    if (record != null) {
      Files.deleteIfExists(record);
      // a fixed key so that the committed example trace names the same pseudonyms run after run
      recorder = TraceRecorder.builder(record).hashKey("mcp-ratelimit demo trace key".getBytes(StandardCharsets.UTF_8)).build();
    }
    try (TraceRecorder r = recorder; DemoServer server = new DemoServer(recorder)) {
      int code = runWith(server, out);
      if (r != null) {
        r.flush();
        out.println("Recorded " + r.written() + " calls to " + record);
      }
      return code;
    }
  }

  private static int runWith(DemoServer server, PrintStream out) throws Exception {
    String url = server.startHttp(0);
    out.println("Demo MCP server on " + url + "/mcp, policy policies/demo.yaml. Agents start:");
    AgentBurst agents = new AgentBurst(url, out, isTerminal(out));
    agents.run();
    out.println();
    agents.printTable(server.observed.waited);
    out.println();
    List<String> broken = check(server.observed, agents);
    if (broken.isEmpty()) {
      out.println("All limits held: the runaway loop opened 3 issues, not 47; spend stayed under the cap;"
          + " queries ran one at a time; the admin-only tool ran only for the admin; the free plan exported 2 reports, pro 5.");
      return 0;
    }
    out.println("LIMITS VIOLATED:");
    for (String b : broken) {
      out.println("  " + b);
    }
    return 1;
  }

  /**
   * Whether {@code out} is this process's standard output and that is a terminal. Before JDK 22
   * {@link System#console()} exists only then; from JDK 22 it may exist without a terminal, and
   * {@code Console.isTerminal()} (called reflectively: the build targets 17) tells.
   */
  static boolean isTerminal(PrintStream out) {
    Console console = System.console();
    if (out != System.out || console == null) {
      return false;
    }
    try {
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true; // JDK 17 to 21: a console means a terminal
    }
  }

  static List<String> check(DemoServer.Observed seen, AgentBurst agents) {
    List<String> broken = new ArrayList<>();
    AtomicInteger issues = seen.executed.get("create_issue|alice");
    if (issues == null || issues.get() > 3) {
      broken.add("alice opened " + (issues == null ? 0 : issues.get()) + " issues; the burst limit is 3/minute");
    }
    AtomicLong charged = seen.charged.get("carol");
    if (charged != null && charged.get() > 100_000) {
      broken.add("globex was charged " + charged.get() + " cents; the daily cap is 100000");
    }
    AtomicInteger q = seen.maxConcurrentQueries.get("dave");
    if (q != null && q.get() > 1) {
      broken.add("dave ran " + q.get() + " queries at once; the limit is 1");
    }
    if (seen.executed.containsKey("delete_repository|bob")) {
      broken.add("the hidden delete_repository tool ran for bob, who is not an admin");
    }
    if (!agents.hiddenListed.isEmpty()) {
      broken.add("delete_repository was listed by tools/list for bob, who is not an admin");
    }
    AtomicInteger adminDeletes = seen.executed.get("delete_repository|ada");
    if (!agents.adminSawDelete || adminDeletes == null || adminDeletes.get() != 1) {
      broken.add("the admin ada should see delete_repository and run it once");
    }
    AtomicInteger freeExports = seen.executed.get("export_report|carol");
    if (freeExports == null || freeExports.get() != 2) {
      broken.add("globex (free plan) should export 2 reports a minute, exported " + (freeExports == null ? 0 : freeExports.get()));
    }
    AtomicInteger proExports = seen.executed.get("export_report|bob");
    if (proExports == null || proExports.get() != 5) {
      broken.add("acme (pro plan) should export all 5 reports, exported " + (proExports == null ? 0 : proExports.get()));
    }
    if (agents.denied("acme", "alice", "create_issue", "issue burst") != 44) {
      broken.add("alice's runaway loop should see 44 burst denials, saw " + agents.denied("acme", "alice", "create_issue", "issue burst"));
    }
    return broken;
  }
}
