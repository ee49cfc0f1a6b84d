package dev.mcpratelimit.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.DoubleSummaryStatistics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns a directory of JMH JSON result files (and the JMH-shaped files of {@link ResultFile})
 * into a Markdown report — every target of docs/architecture.md with its measured figure and verdict, then every
 * result — and an SVG bar chart, and splices them into the READMEs between
 * {@code <!-- bench-report:start -->} and {@code <!-- bench-report:end -->}.
 *
 * <p>Run on existing results (no benchmarking): {@code java -cp
 * mcp-ratelimit-bench/target/benchmarks.jar dev.mcpratelimit.bench.Report
 * mcp-ratelimit-bench/results [mcp-ratelimit-bench/README.md [README.md]]}. {@link Suite} runs it
 * after the benchmarks.
 */
public final class Report {
  private Report() {}

  static final String START = "<!-- bench-report:start -->";
  static final String END = "<!-- bench-report:end -->";
  private static final String PKG = "dev.mcpratelimit.bench.";

  /** One benchmark result, times normalised to ns/op and throughputs to ops/s. */
  record Result(String cls, String method, String mode, int threads, Map<String, String> params,
      double score, double error, String unit, double bytesPerOp, JsonNode raw) {

    String key() {
      return cls + "." + method;
    }

    /** Nanoseconds per operation per thread, for average-time results. */
    double nanos() {
      return toNanos(score, unit);
    }

    double nanosError() {
      return toNanos(error, unit);
    }
  }

  /**
   * Command-line entry: {@code Report RESULTS_DIR [BENCH_README [TOP_README]]}.
   *
   * @param args the results directory, optionally the READMEs to update
   * @throws IOException if reading or writing fails
   */
  public static void main(String[] args) throws IOException {
    if (args.length == 0) {
      throw new IllegalArgumentException("usage: Report RESULTS_DIR [BENCH_README [TOP_README]]");
    }
    write(Path.of(args[0]), args.length > 1 ? Path.of(args[1]) : null,
        args.length > 2 ? Path.of(args[2]) : null, null);
  }

  /**
   * Reads every {@code *.json} in {@code dir}, writes {@code report.md} and {@code chart.svg} there,
   * and updates the READMEs given.
   *
   * @param dir the results directory
   * @param readme the bench README, or null
   * @param topReadme the project README, or null
   * @param mode the suite mode for the heading, or null if unknown
   * @throws IOException if reading or writing fails
   */
  public static void write(Path dir, @Nullable Path readme, @Nullable Path topReadme, @Nullable String mode)
      throws IOException {
    Map<String, Result> results = read(dir);
    if (results.isEmpty()) {
      throw new IOException("no results in " + dir.toAbsolutePath());
    }
    List<String[]> targets = targets(results);
    Path chart = dir.resolve("chart.svg");
    Files.writeString(chart, Chart.svg(results));
    String full = heading(results, mode) + "\n" + targetTable(targets) + "\n"
        + "![benchmark chart](" + "chart.svg" + ")\n\n" + resultTable(results);
    Files.writeString(dir.resolve("report.md"), full);
    if (readme != null) {
      splice(readme, heading(results, mode) + "\n" + headline(results) + targetTable(targets) + "\n"
          + "![benchmark chart](" + link(readme, chart) + ")\n\n### Every result\n\n" + resultTable(results));
    }
    if (topReadme != null) {
      splice(topReadme, heading(results, mode) + "\n" + headline(results) + targetTable(targets) + "\n"
          + "![benchmark chart](" + link(topReadme, chart) + ")\n");
    }
    System.out.println(targetTable(targets));
    System.out.println("report: " + dir.resolve("report.md") + ", chart: " + chart);
  }

  /** The headline ratios against peers, as a bullet list (empty when no peer was measured). */
  static String headline(Map<String, Result> all) {
    StringBuilder sb = new StringBuilder();
    Result g = find(all, "SingleKeyBenchmark", "gcraGranted");
    Result bg = find(all, "SingleKeyBenchmark", "bucket4jGranted");
    if (g != null && bg != null) {
      sb.append(String.format(Locale.ROOT, "- A token-bucket decision takes %.2f × the time of Bucket4j's"
          + " lock-free bucket and allocates %s B (Bucket4j: %s B).%n", g.nanos() / bg.nanos(),
          bytes(g.bytesPerOp()), bytes(bg.bytesPerOp())));
    }
    Result g2 = find(all, "SingleKeyBenchmark", "gcraGranted2Threads");
    Result bg2 = find(all, "SingleKeyBenchmark", "bucket4jGranted2Threads");
    if (g2 != null && bg2 != null) {
      sb.append(String.format(Locale.ROOT, "- Two threads on one key: %.1f × Bucket4j's throughput.%n",
          bg2.nanos() / g2.nanos()));
    }
    storeSummary(sb, all, "On Redis", "RedisBenchmark", "RedisCommandCount", "Bucket4j-Lettuce", "command");
    storeSummary(sb, all, "On PostgreSQL", "PostgresBenchmark", "PostgresStatementCount", "Bucket4j-PostgreSQL",
        "round trip");
    Result bare = find(all, "McpCallBenchmark", "bare");
    Result hb = find(all, "McpCallBenchmark", "handlerBare");
    Result hw = find(all, "McpCallBenchmark", "handlerWrapped");
    if (bare != null && hb != null && hw != null) {
      sb.append(String.format(Locale.ROOT, "- Rate limiting an MCP tool call adds %.0f ns, %.2f %% of a"
          + " localhost round trip", hw.nanos() - hb.nanos(), (hw.nanos() - hb.nanos()) / bare.nanos() * 100));
      Paired paired = Paired.of(find(all, "McpCallBenchmark", "paired"));
      if (paired != null) {
        sb.append(String.format(Locale.ROOT, "; timed through the SDK, back-to-back round trips differ by %+.1f %%",
            paired.overheads().getAverage()));
      }
      sb.append(String.format(Locale.ROOT, ".%n"));
    }
    return sb.length() == 0 ? "" : sb.append('\n').toString();
  }

  private static String link(Path from, Path to) {
    Path base = from.toAbsolutePath().normalize().getParent();
    return base.relativize(to.toAbsolutePath().normalize()).toString().replace('\\', '/');
  }

  /** Replaces the text between the report markers. */
  static void splice(Path file, String body) throws IOException {
    String s = Files.readString(file);
    int a = s.indexOf(START);
    int b = s.indexOf(END);
    if (a < 0 || b < a) {
      throw new IOException(file + " has no " + START + " … " + END + " section to fill");
    }
    Files.writeString(file, s.substring(0, a + START.length()) + "\n" + body + s.substring(b));
  }

  // ------------------------------------------------------------------ reading

  static Map<String, Result> read(Path dir) throws IOException {
    JsonMapper json = JsonMapper.builder().build();
    Map<String, Result> out = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
    }
    for (Path f : files) {
      JsonNode root = json.readTree(f.toFile());
      if (!root.isArray()) {
        throw new IOException(f + ": expected a JSON array of results");
      }
      for (JsonNode r : root) {
        String bench = r.path("benchmark").asString();
        if (!bench.startsWith(PKG)) {
          continue;
        }
        String name = bench.substring(PKG.length());
        int dot = name.lastIndexOf('.');
        Map<String, String> params = new TreeMap<>();
        r.path("params").properties().forEach(e -> params.put(e.getKey(), e.getValue().asString()));
        JsonNode pm = r.path("primaryMetric");
        double bytes = Double.NaN;
        for (Map.Entry<String, JsonNode> e : r.path("secondaryMetrics").properties()) {
          if (e.getKey().replace("\u00b7", "").equals("gc.alloc.rate.norm")) {
            bytes = e.getValue().path("score").asDouble();
          }
        }
        Result res = new Result(name.substring(0, dot), name.substring(dot + 1), r.path("mode").asString(),
            r.path("threads").asInt(1), params, pm.path("score").asDouble(), errorOf(pm),
            pm.path("scoreUnit").asString(), bytes, r);
        out.put(res.key() + (params.isEmpty() ? "" : params.toString()), res);
      }
    }
    return out;
  }

  private static double errorOf(JsonNode pm) {
    JsonNode e = pm.path("scoreError");
    return e.isNumber() ? e.asDouble() : Double.NaN; // JMH writes "NaN" as a string for one iteration
  }

  static double toNanos(double v, String unit) {
    return switch (unit) {
      case "ns/op" -> v;
      case "us/op" -> v * 1e3;
      case "ms/op" -> v * 1e6;
      case "s/op" -> v * 1e9;
      default -> Double.NaN;
    };
  }

  static double toOpsPerSecond(double v, String unit) {
    return switch (unit) {
      case "ops/s" -> v;
      case "ops/ms" -> v * 1e3;
      case "ops/us" -> v * 1e6;
      case "ops/ns" -> v * 1e9;
      default -> Double.NaN;
    };
  }

  static @Nullable Result find(Map<String, Result> all, String cls, String method) {
    for (Result r : all.values()) {
      if (r.cls().equals(cls) && r.method().equals(method)) {
        return r;
      }
    }
    return null;
  }

  // ------------------------------------------------------------------ targets

  /** Rows of: target, measured, verdict. */
  static List<String[]> targets(Map<String, Result> all) {
    List<String[]> rows = new ArrayList<>();
    rows.add(singleKey(all));
    rows.add(twoThreads(all));
    rows.add(engine(all));
    rows.add(engineScaling(all));
    rows.add(footprint(all));
    rows.add(mcp(all));
    rows.add(redisCommands(all));
    rows.add(redisThroughput(all));
    rows.add(postgresRoundTrips(all));
    rows.add(postgresThroughput(all));
    rows.add(estimate(all));
    return rows;
  }

  private static final String NOT_MEASURED = "not measured in this run";

  private static String[] row(String target, String measured, String verdict) {
    return new String[] {target, measured, verdict};
  }

  private static String missedBy(double measured, double target, boolean lowerIsBetter) {
    boolean met = lowerIsBetter ? measured <= target : measured >= target;
    if (met) {
      return "**met**";
    }
    double by = lowerIsBetter ? (measured / target - 1) * 100 : (1 - measured / target) * 100;
    return String.format(Locale.ROOT, "**missed** by %.0f %%", by);
  }

  private static String[] singleKey(Map<String, Result> all) {
    String t = "token bucket, one key, 1 thread: ≤ 0.8 × Bucket4j ns/op, 0 B/op";
    Result g = find(all, "SingleKeyBenchmark", "gcraGranted");
    Result d = find(all, "SingleKeyBenchmark", "gcraDenied");
    Result bg = find(all, "SingleKeyBenchmark", "bucket4jGranted");
    Result bd = find(all, "SingleKeyBenchmark", "bucket4jDenied");
    if (g == null || d == null || bg == null || bd == null) {
      return row(t, NOT_MEASURED, "—");
    }
    double rg = g.nanos() / bg.nanos();
    double rd = d.nanos() / bd.nanos();
    double bytes = Math.max(g.bytesPerOp(), d.bytesPerOp());
    String m = String.format(Locale.ROOT, "granted %.2f × (%.1f vs %.1f ns), denied %.2f × (%.1f vs %.1f ns), %s B/op",
        rg, g.nanos(), bg.nanos(), rd, d.nanos(), bd.nanos(), bytes(bytes));
    Result clock = find(all, "SingleKeyBenchmark", "clockRead");
    if (clock != null) {
      m += String.format(Locale.ROOT, "; the clock read alone: %.1f ns", clock.nanos());
    }
    double worst = Math.max(rg, rd);
    String v = missedBy(worst, 0.8, true);
    if (!(bytes < 0.5)) {
      v = "**missed** (allocates)";
    }
    return row(t, m, v);
  }

  private static String[] twoThreads(Map<String, Result> all) {
    String t = "token bucket, one key, 2 threads: ≥ 1.5 × Bucket4j throughput";
    Result g = find(all, "SingleKeyBenchmark", "gcraGranted2Threads");
    Result d = find(all, "SingleKeyBenchmark", "gcraDenied2Threads");
    Result bg = find(all, "SingleKeyBenchmark", "bucket4jGranted2Threads");
    Result bd = find(all, "SingleKeyBenchmark", "bucket4jDenied2Threads");
    if (g == null || d == null || bg == null || bd == null) {
      return row(t, NOT_MEASURED, "—");
    }
    double rg = bg.nanos() / g.nanos();
    double rd = bd.nanos() / d.nanos();
    String m = String.format(Locale.ROOT, "granted %.2f × (%.1f vs %.1f ns), denied %.2f × (%.1f vs %.1f ns)",
        rg, g.nanos(), bg.nanos(), rd, d.nanos(), bd.nanos())
        + (Double.isNaN(bg.nanosError()) ? "" : String.format(Locale.ROOT, "; Bucket4j error ± %.0f / %.0f ns",
            bg.nanosError(), bd.nanosError()));
    return row(t, m, missedBy(Math.min(rg, rd), 1.5, false));
  }

  /**
   * An {@code EngineBenchmark} result in the given identity order; a result of a run without the
   * {@code identities} parameter (the order was then rank order, hot users adjacent) counts as
   * {@code memory}.
   */
  static @Nullable Result engine(Map<String, Result> all, String method, String identities) {
    for (Result r : all.values()) {
      if (r.cls().equals("EngineBenchmark") && r.method().equals(method)
          && identities.equals(r.params().getOrDefault("identities", "memory"))) {
        return r;
      }
    }
    return null;
  }

  private static String[] engine(Map<String, Result> all) {
    String t = "full decision, 3 stacked rules, 1M Zipf keys in random memory order, default store:"
        + " ≤ 0.5 × Bucket4j in Caffeine, ≤ 2 × the ConcurrentHashMap floor, ≤ 64 B/op";
    Result r = engine(all, "decide", "random");
    Result b4j = engine(all, "bucket4jInCaffeine", "random");
    Result chm = engine(all, "floorConcurrentHashMap", "random");
    if (r == null || b4j == null || chm == null) {
      return row(t, NOT_MEASURED, "—");
    }
    double vsB4j = r.nanos() / b4j.nanos();
    double vsChm = r.nanos() / chm.nanos();
    String m = String.format(Locale.ROOT, "%.0f ± %.0f ns/op, %s B/op: %.2f × Bucket4j in Caffeine (%.0f ± %.0f ns,"
            + " %s B/op), %.2f × the ConcurrentHashMap floor (%.0f ± %.0f ns)", r.nanos(), r.nanosError(),
        bytes(r.bytesPerOp()), vsB4j, b4j.nanos(), b4j.nanosError(), bytes(b4j.bytesPerOp()), vsChm, chm.nanos(),
        chm.nanosError());
    Result caf = engine(all, "floorCaffeine", "random");
    if (caf != null) {
      m += String.format(Locale.ROOT, "; Caffeine floor %.0f ns", caf.nanos());
    }
    Result mem = engine(all, "decide", "memory");
    Result memB4j = engine(all, "bucket4jInCaffeine", "memory");
    if (mem != null && memB4j != null) {
      m += String.format(Locale.ROOT, "; in memory order %.0f ns/op (%.2f × Bucket4j in Caffeine)", mem.nanos(),
          mem.nanos() / memB4j.nanos());
    }
    Result exp = engine(all, "decideExpiringKeys", "random");
    if (exp != null) {
      m += String.format(Locale.ROOT, "; keys expiring between calls: %.0f ns/op, %s B/op", exp.nanos(),
          bytes(exp.bytesPerOp()));
    }
    return row(t, m, "vs Bucket4j " + missedBy(vsB4j, 0.5, true) + "; vs floor " + missedBy(vsChm, 2, true)
        // whole bytes, as printed: JMH's per-iteration bookkeeping adds a few thousandths of a byte
        // to every operation, which is not an allocation of the decision
        + "; bytes " + missedBy(Math.round(r.bytesPerOp()), 64, true));
  }

  private static String[] engineScaling(Map<String, Result> all) {
    String t = "full decision, 2 threads: ≥ 1.6 × one thread's throughput";
    Result one = engine(all, "decide", "random");
    Result two = engine(all, "decide2Threads", "random");
    if (one == null || two == null) {
      return row(t, NOT_MEASURED, "—");
    }
    double ratio = 2 * one.nanos() / two.nanos(); // average times are per thread
    String m = String.format(Locale.ROOT, "%.2f × (%.0f ns per decision per thread with 2, %.0f with 1)", ratio,
        two.nanos(), one.nanos());
    String verdict = missedBy(ratio, 1.6, false);
    // the machine's own scaling on this workload: the floor's lookups and increments, 1 and 2 threads
    Result floor = engine(all, "floorConcurrentHashMap", "random");
    Result floor2 = engine(all, "floorConcurrentHashMap2Threads", "random");
    if (floor != null && floor2 != null) {
      double floorRatio = 2 * floor.nanos() / floor2.nanos();
      m += String.format(Locale.ROOT, "; the ConcurrentHashMap floor on this machine: %.2f × (%.0f ns per thread"
          + " with 2, %.0f with 1)", floorRatio, floor2.nanos(), floor.nanos());
      verdict += String.format(Locale.ROOT, "; the floor scales %.2f ×", floorRatio);
    }
    return row(t, m, verdict);
  }

  private static String[] footprint(Map<String, Result> all) {
    String t = "retained memory per idle-but-live key: ≤ 100 B (Bucket4j ~248 B)";
    Result r = find(all, "KeyFootprint", "retainedPerKey");
    if (r == null) {
      return row(t, NOT_MEASURED, "—");
    }
    return row(t, String.format(Locale.ROOT, "%.1f B", r.score()), missedBy(r.score(), 100, true));
  }

  private static String[] mcp(Map<String, Result> all) {
    String t = "wrapped vs bare MCP tool call, in-process: ≤ 3 % slower";
    Result bare = find(all, "McpCallBenchmark", "bare");
    Result wrapped = find(all, "McpCallBenchmark", "wrapped");
    if (bare == null || wrapped == null) {
      return row(t, NOT_MEASURED, "—");
    }
    double pct = (wrapped.nanos() / bare.nanos() - 1) * 100;
    String m = String.format(Locale.ROOT, "%+.1f %% (%.1f vs %.1f µs; ± %.1f / %.1f µs)", pct,
        wrapped.nanos() / 1e3, bare.nanos() / 1e3, wrapped.nanosError() / 1e3, bare.nanosError() / 1e3);
    Result hb = find(all, "McpCallBenchmark", "handlerBare");
    Result hw = find(all, "McpCallBenchmark", "handlerWrapped");
    double handlerPct = Double.NaN;
    if (hb != null && hw != null) {
      // The handlers alone are measured without the transport, so their difference is the
      // wrapper's cost with little noise; as a share of a bare round trip it is the overhead.
      handlerPct = (hw.nanos() - hb.nanos()) / bare.nanos() * 100;
      m += String.format(Locale.ROOT, "; the wrapper alone adds %.0f ns = %.3f %% of a bare call",
          hw.nanos() - hb.nanos(), handlerPct);
    }
    Paired paired = Paired.of(find(all, "McpCallBenchmark", "paired"));
    if (paired != null) {
      // Back-to-back calls in one JVM: the drift between forks and iterations cancels, so this
      // difference, not that of the separate forks above, is the verdict.
      DoubleSummaryStatistics o = paired.overheads();
      double mean = o.getAverage();
      m = String.format(Locale.ROOT, "paired round trips %+.1f %% (%.1f vs %.1f µs per call; %d iteration%s from %+.1f to %+.1f %%);"
          + " separate forks ", mean, paired.wrappedMicros(), paired.bareMicros(), o.getCount(),
          o.getCount() == 1 ? "" : "s", o.getMin(), o.getMax()) + m;
      return row(t, m, mean <= 3 ? "**met**" : String.format(Locale.ROOT, "**missed** (%.1f %% > 3 %%)", mean));
    }
    if (pct <= 3) {
      return row(t, m, "**met**");
    }
    double noise = wrapped.nanosError() + bare.nanosError();
    boolean withinNoise = !Double.isNaN(noise) && wrapped.nanos() - bare.nanos() <= noise;
    if (withinNoise && handlerPct <= 3) {
      return row(t, m, String.format(Locale.ROOT,
          "**met** (round-trip difference within its error bars; wrapper alone %.3f %%)", handlerPct));
    }
    return row(t, m, String.format(Locale.ROOT, "**missed** (%.1f %% > 3 %%)", pct));
  }

  /**
   * {@code McpCallBenchmark.paired}, read once: wrapped over bare in percent per measured
   * iteration, and the mean time of each half per call.
   */
  record Paired(DoubleSummaryStatistics overheads, double bareMicros, double wrappedMicros) {

    /** The paired result's figures, or null when it is absent or its counters do not line up. */
    static @Nullable Paired of(@Nullable Result paired) {
      double[] b = flatRaw(paired, "bareNanos");
      double[] w = flatRaw(paired, "wrappedNanos");
      double[] n = flatRaw(paired, "pairs");
      if (b.length == 0 || b.length != w.length || b.length != n.length) {
        return null;
      }
      DoubleSummaryStatistics overheads = new DoubleSummaryStatistics();
      double sb = 0;
      double sw = 0;
      double sn = 0;
      for (int i = 0; i < b.length; i++) {
        overheads.accept((w[i] / b[i] - 1) * 100);
        sb += b[i];
        sw += w[i];
        sn += n[i];
      }
      return new Paired(overheads, sb / sn / 1e3, sw / sn / 1e3);
    }
  }

  /** A secondary metric's per-iteration values over every fork, in order. */
  private static double[] flatRaw(@Nullable Result r, String metric) {
    if (r == null || r.raw() == null) {
      return new double[0];
    }
    List<Double> out = new ArrayList<>();
    for (JsonNode fork : r.raw().path("secondaryMetrics").path(metric).path("rawData")) {
      for (JsonNode v : fork) {
        out.add(v.asDouble());
      }
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** The summary line of a remote store: decisions/s against the peer's, and what each decision sends. */
  private static void storeSummary(StringBuilder sb, Map<String, Result> all, String where, String throughput,
      String count, String peer, String what) {
    Result ro = find(all, throughput, "ours");
    Result rb = find(all, throughput, "bucket4j");
    Result co = find(all, count, "ours");
    Result cb = find(all, count, "bucket4j");
    if (ro != null && rb != null) {
      sb.append(String.format(Locale.ROOT, "- %s: %.1f × %s's decisions per second", where,
          toOpsPerSecond(ro.score(), ro.unit()) / toOpsPerSecond(rb.score(), rb.unit()), peer));
      if (co != null && cb != null) {
        sb.append(String.format(Locale.ROOT, ", %.0f %s per decision against its %.1f", co.score(), what, cb.score()));
      }
      sb.append(String.format(Locale.ROOT, " (3 stacked rules).%n"));
    }
  }

  private static String[] redisCommands(Map<String, Result> all) {
    return perDecision(all, "Redis: commands per decision, 3 rules: exactly 1", "RedisCommandCount", "Bucket4j-Lettuce");
  }

  private static String[] redisThroughput(Map<String, Result> all) {
    return throughput(all, "Redis: decisions/s vs Bucket4j-Lettuce, same server, 16 callers: ≥ 2 ×", "RedisBenchmark");
  }

  private static String[] postgresRoundTrips(Map<String, Result> all) {
    return perDecision(all, "PostgreSQL: round trips per decision, 3 rules: exactly 1", "PostgresStatementCount",
        "Bucket4j-PostgreSQL");
  }

  private static String[] postgresThroughput(Map<String, Result> all) {
    return throughput(all, "PostgreSQL: decisions/s vs Bucket4j-PostgreSQL, same server, 16 callers: ≥ 2 ×",
        "PostgresBenchmark");
  }

  /** A "exactly 1 per decision" row from a count program's {@code ours} and {@code bucket4j}. */
  private static String[] perDecision(Map<String, Result> all, String t, String bench, String peer) {
    Result ours = find(all, bench, "ours");
    if (ours == null) {
      return row(t, NOT_MEASURED, "—");
    }
    Result b4j = find(all, bench, "bucket4j");
    String m = String.format(Locale.ROOT, "%.2f%s", ours.score(),
        b4j == null ? "" : String.format(Locale.ROOT, " (%s: %.2f)", peer, b4j.score()));
    return row(t, m, Math.abs(ours.score() - 1) < 0.005 ? "**met**" : "**missed**");
  }

  /** A "≥ 2 × the peer's decisions/s" row from a JMH benchmark's {@code ours} and {@code bucket4j}. */
  private static String[] throughput(Map<String, Result> all, String t, String bench) {
    Result ours = find(all, bench, "ours");
    Result b4j = find(all, bench, "bucket4j");
    if (ours == null || b4j == null) {
      return row(t, NOT_MEASURED, "—");
    }
    double o = toOpsPerSecond(ours.score(), ours.unit());
    double b = toOpsPerSecond(b4j.score(), b4j.unit());
    String m = String.format(Locale.ROOT, "%.2f × (%,.0f vs %,.0f decisions/s)", o / b, o, b);
    return row(t, m, missedBy(o / b, 2, false));
  }

  private static String[] estimate(Map<String, Result> all) {
    String t = "sliding-window estimate vs exact log, bursty agent trace: ≤ 0.003 % wrong decisions";
    Result r = find(all, "EstimateError", "burstyAgentTrace");
    if (r == null) {
      return row(t, NOT_MEASURED, "—");
    }
    return row(t, String.format(Locale.ROOT, "%.4f %%", r.score()), missedBy(r.score(), 0.003, true));
  }

  // ------------------------------------------------------------------ markdown

  private static String heading(Map<String, Result> all, @Nullable String mode) {
    Result any = all.values().stream().filter(r -> !"ss".equals(r.mode())).findFirst()
        .orElse(all.values().iterator().next());
    JsonNode raw = any.raw();
    return String.format(Locale.ROOT, "_Generated by `Report` on %s · %s %s · %s · %d cores%s; iteration"
            + " settings per benchmark class below._%n",
        LocalDate.now(ZoneOffset.UTC), raw.path("vmName").asString(), raw.path("jdkVersion").asString(),
        cpu(), Runtime.getRuntime().availableProcessors(), mode == null ? "" : " · " + mode + " mode");
  }

  /** A JMH result's fork and iteration settings, or "" for a program's result. */
  static String settings(Result r) {
    JsonNode raw = r.raw();
    if (!raw.has("warmupIterations")) {
      return "";
    }
    return String.format(Locale.ROOT, "%d fork(s), %d × %s warm-up, %d × %s measurement",
        raw.path("forks").asInt(), raw.path("warmupIterations").asInt(), raw.path("warmupTime").asString(),
        raw.path("measurementIterations").asInt(), raw.path("measurementTime").asString());
  }

  private static String cpu() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return System.getProperty("os.arch");
  }

  static String targetTable(List<String[]> rows) {
    StringBuilder sb = new StringBuilder("| target (docs/architecture.md) | measured | verdict |\n| --- | --- | --- |\n");
    for (String[] r : rows) {
      sb.append("| ").append(r[0]).append(" | ").append(r[1]).append(" | ").append(r[2]).append(" |\n");
    }
    return sb.toString();
  }

  static String resultTable(Map<String, Result> all) {
    Map<String, List<Result>> byClass = new LinkedHashMap<>();
    all.values().stream().sorted(Comparator.comparing(Result::cls))
        .forEach(r -> byClass.computeIfAbsent(r.cls(), k -> new ArrayList<>()).add(r));
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, List<Result>> e : byClass.entrySet()) {
      String settings = settings(e.getValue().get(0));
      sb.append("`").append(e.getKey()).append("`").append(settings.isEmpty() ? "" : " · " + settings)
          .append("\n\n| benchmark | threads | params | score | unit | B/op |\n"
          + "| --- | --- | --- | --- | --- | --- |\n");
      for (Result r : e.getValue()) {
        String err = Double.isNaN(r.error()) || r.error() == 0 ? "" : String.format(Locale.ROOT, " ± %s", num(r.error()));
        sb.append("| ").append(r.method()).append(" | ").append(r.threads()).append(" | ")
            .append(r.params().isEmpty() ? "" : r.params().toString().replaceAll("[{}]", "")).append(" | ")
            .append(num(r.score())).append(err).append(" | ").append(r.unit()).append(" | ")
            .append(bytes(r.bytesPerOp())).append(" |\n");
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  static String num(double v) {
    double a = Math.abs(v);
    if (a >= 100_000) {
      return String.format(Locale.ROOT, "%,.0f", v);
    } else if (a >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    } else if (a >= 1) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    return String.format(Locale.ROOT, "%.4f", v);
  }

  static String bytes(double b) {
    if (Double.isNaN(b)) {
      return "—";
    }
    return b < 0.5 ? "0" : String.format(Locale.ROOT, "%.0f", b);
  }
}
