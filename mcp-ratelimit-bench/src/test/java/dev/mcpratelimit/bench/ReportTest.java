package dev.mcpratelimit.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report step on hand-made JMH result files: verdicts, unit handling, README splicing, chart. */
class ReportTest {
  @TempDir
  Path dir;

  private static String result(String benchmark, int threads, String mode, double score, String unit, double bytes) {
    String secondary = Double.isNaN(bytes) ? "{}"
        : String.format(Locale.ROOT, "{\"gc.alloc.rate.norm\": {\"score\": %s, \"scoreUnit\": \"B/op\"}}", bytes);
    return String.format(Locale.ROOT, "{\"jmhVersion\": \"1.37\", \"benchmark\": \"dev.mcpratelimit.bench.%s\","
        + " \"mode\": \"%s\", \"threads\": %d, \"forks\": 1, \"jdkVersion\": \"17.0.15\", \"vmName\": \"OpenJDK\","
        + " \"warmupIterations\": 2, \"warmupTime\": \"1 s\", \"measurementIterations\": 3, \"measurementTime\": \"1 s\","
        + " \"primaryMetric\": {\"score\": %s, \"scoreError\": 1.5, \"scoreUnit\": \"%s\"},"
        + " \"secondaryMetrics\": %s}", benchmark, mode, threads, score, unit, secondary);
  }

  /** An {@code EngineBenchmark} result of one identity order, in ns/op. */
  private static String engine(String method, int threads, String identities, double nanos, double bytes) {
    String r = result("EngineBenchmark." + method, threads, "avgt", nanos, "ns/op", bytes);
    return r.substring(0, r.length() - 1) + ", \"params\": {\"users\": \"1000000\", \"identities\": \"" + identities
        + "\"}}";
  }

  private void jmh(String file, String... results) throws IOException {
    Files.writeString(dir.resolve(file), "[" + String.join(",", results) + "]");
  }

  private void jmhFixture() throws IOException {
    jmh("jmh-single.json",
        result("SingleKeyBenchmark.gcraGranted", 1, "avgt", 30, "ns/op", 0.00001),
        result("SingleKeyBenchmark.gcraDenied", 1, "avgt", 0.045, "us/op", 0), // 45 ns, in µs
        result("SingleKeyBenchmark.bucket4jGranted", 1, "avgt", 50, "ns/op", 104),
        result("SingleKeyBenchmark.bucket4jDenied", 1, "avgt", 50, "ns/op", 104),
        engine("decide", 1, "random", 400, 40),
        engine("bucket4jInCaffeine", 1, "random", 1000, 248),
        engine("floorConcurrentHashMap", 1, "random", 250, 0));
    jmh("jmh-mcp.json",
        result("McpCallBenchmark.bare", 1, "avgt", 100, "us/op", Double.NaN),
        result("McpCallBenchmark.wrapped", 1, "avgt", 102, "us/op", Double.NaN));
    jmh("jmh-redis.json",
        result("RedisBenchmark.ours", 16, "thrpt", 30, "ops/ms", Double.NaN),
        result("RedisBenchmark.bucket4j", 16, "thrpt", 10_000, "ops/s", Double.NaN));
    new ResultFile().add("dev.mcpratelimit.bench.KeyFootprint.retainedPerKey", 132, "B/key")
        .add("dev.mcpratelimit.bench.RedisCommandCount.ours", 1.0, "commands/decision")
        .write(dir.resolve("programs.json"));
  }

  private static String rowOf(List<String[]> rows, String prefix) {
    for (String[] r : rows) {
      if (r[0].startsWith(prefix)) {
        return r[1] + " => " + r[2];
      }
    }
    throw new AssertionError("no target row starting with " + prefix);
  }

  @Test
  void verdictsAreComputedFromRatiosAndTargets() throws IOException {
    jmhFixture();
    List<String[]> rows = Report.targets(Report.read(dir));
    assertEquals("granted 0.60 × (30.0 vs 50.0 ns), denied 0.90 × (45.0 vs 50.0 ns), 0 B/op => **missed** by 13 %",
        rowOf(rows, "token bucket, one key, 1 thread"), "the worse ratio decides; µs are converted to ns");
    assertEquals("400 ± 2 ns/op, 40 B/op: 0.40 × Bucket4j in Caffeine (1000 ± 2 ns, 248 B/op), 1.60 × the"
        + " ConcurrentHashMap floor (250 ± 2 ns) => vs Bucket4j **met**; vs floor **met**; bytes **met**",
        rowOf(rows, "full decision, 3 stacked rules"));
    assertEquals("132.0 B => **missed** by 32 %", rowOf(rows, "retained memory"));
    assertTrue(rowOf(rows, "wrapped vs bare").startsWith("+2.0 % (102.0 vs 100.0 µs"), rowOf(rows, "wrapped vs bare"));
    assertTrue(rowOf(rows, "wrapped vs bare").endsWith("**met**"));
    assertEquals("3.00 × (30,000 vs 10,000 decisions/s) => **met**", rowOf(rows, "Redis: decisions/s"),
        "ops/ms and ops/s are compared in one unit");
    assertEquals("1.00 => **met**", rowOf(rows, "Redis: commands"));
    assertEquals("not measured in this run => —", rowOf(rows, "token bucket, one key, 2 threads"));
    assertEquals("not measured in this run => —", rowOf(rows, "sliding-window estimate"));
  }

  @Test
  void aNoisyRoundTripIsJudgedByTheHandlerDifferenceOnlyWhenWithinItsErrorBars() throws IOException {
    // Error bars are 1.5 µs each (see result()), so a 2.5 µs difference on 50 µs is noise.
    jmh("mcp.json",
        result("McpCallBenchmark.bare", 1, "avgt", 50, "us/op", Double.NaN),
        result("McpCallBenchmark.wrapped", 1, "avgt", 52.5, "us/op", Double.NaN),
        result("McpCallBenchmark.handlerBare", 1, "avgt", 100, "ns/op", Double.NaN),
        result("McpCallBenchmark.handlerWrapped", 1, "avgt", 600, "ns/op", Double.NaN));
    String noisy = rowOf(Report.targets(Report.read(dir)), "wrapped vs bare");
    assertTrue(noisy.contains("the wrapper alone adds 500 ns = 1.000 % of a bare call"), noisy);
    assertTrue(noisy.endsWith("**met** (round-trip difference within its error bars; wrapper alone 1.000 %)"), noisy);

    jmh("mcp.json",
        result("McpCallBenchmark.bare", 1, "avgt", 50, "us/op", Double.NaN),
        result("McpCallBenchmark.wrapped", 1, "avgt", 55, "us/op", Double.NaN),
        result("McpCallBenchmark.handlerBare", 1, "avgt", 100, "ns/op", Double.NaN),
        result("McpCallBenchmark.handlerWrapped", 1, "avgt", 600, "ns/op", Double.NaN));
    String real = rowOf(Report.targets(Report.read(dir)), "wrapped vs bare");
    assertTrue(real.endsWith("**missed** (10.0 % > 3 %)"), "beyond the error bars the round trip decides: " + real);
  }

  /** A {@code paired} result: per iteration, the summed nanoseconds of each half and the pair count. */
  private static String paired(double[] bareNanos, double[] wrappedNanos, double[] pairs) {
    return String.format(Locale.ROOT, "{\"jmhVersion\": \"1.37\", \"benchmark\": \"dev.mcpratelimit.bench.McpCallBenchmark.paired\","
        + " \"mode\": \"avgt\", \"threads\": 1, \"forks\": 1, \"jdkVersion\": \"17.0.15\", \"vmName\": \"OpenJDK\","
        + " \"warmupIterations\": 2, \"warmupTime\": \"1 s\", \"measurementIterations\": 3, \"measurementTime\": \"1 s\","
        + " \"primaryMetric\": {\"score\": 1000, \"scoreError\": 1.5, \"scoreUnit\": \"us/op\"},"
        + " \"secondaryMetrics\": {\"bareNanos\": {\"score\": 0, \"scoreUnit\": \"#\", \"rawData\": [%s]},"
        + " \"wrappedNanos\": {\"score\": 0, \"scoreUnit\": \"#\", \"rawData\": [%s]},"
        + " \"pairs\": {\"score\": 0, \"scoreUnit\": \"#\", \"rawData\": [%s]}}}",
        Arrays.toString(bareNanos), Arrays.toString(wrappedNanos), Arrays.toString(pairs));
  }

  @Test
  void pairedRoundTripsDecideTheMcpVerdictOverSeparateForks() throws IOException {
    // separate forks say +20 %, but back to back the calls differ by +1 % and +2 %
    jmh("mcp.json",
        result("McpCallBenchmark.bare", 1, "avgt", 50, "us/op", Double.NaN),
        result("McpCallBenchmark.wrapped", 1, "avgt", 60, "us/op", Double.NaN),
        paired(new double[] {100_000_000, 200_000_000}, new double[] {101_000_000, 204_000_000},
            new double[] {2000, 4000}));
    String row = rowOf(Report.targets(Report.read(dir)), "wrapped vs bare");
    assertTrue(row.startsWith("paired round trips +1.5 % (50.8 vs 50.0 µs per call; 2 iterations from +1.0 to +2.0 %);"
        + " separate forks +20.0 % (60.0 vs 50.0 µs"), row);
    assertTrue(row.endsWith("=> **met**"), row);

    jmh("mcp.json",
        result("McpCallBenchmark.bare", 1, "avgt", 50, "us/op", Double.NaN),
        result("McpCallBenchmark.wrapped", 1, "avgt", 50, "us/op", Double.NaN),
        paired(new double[] {100_000_000}, new double[] {105_000_000}, new double[] {2000}));
    row = rowOf(Report.targets(Report.read(dir)), "wrapped vs bare");
    assertTrue(row.endsWith("=> **missed** (5.0 % > 3 %)"), "the paired figure decides both ways: " + row);
  }

  @Test
  void theEngineRowJudgesTheRandomOrderAndNamesTheOtherCases() throws IOException {
    jmh("engine.json",
        engine("decide", 1, "random", 1500, 88),
        engine("bucket4jInCaffeine", 1, "random", 2000, 248),
        engine("floorConcurrentHashMap", 1, "random", 400, 0),
        engine("floorCaffeine", 1, "random", 1000, 0),
        engine("decide", 1, "memory", 300, 88), // the flattering order never decides the verdict
        engine("bucket4jInCaffeine", 1, "memory", 600, 248),
        engine("floorConcurrentHashMap", 1, "memory", 200, 0),
        engine("decideExpiringKeys", 1, "random", 1700, 190),
        engine("decide2Threads", 2, "random", 2000, 88));
    assertEquals("1500 ± 2 ns/op, 88 B/op: 0.75 × Bucket4j in Caffeine (2000 ± 2 ns, 248 B/op), 3.75 × the"
            + " ConcurrentHashMap floor (400 ± 2 ns); Caffeine floor 1000 ns; in memory order 300 ns/op (0.50 ×"
            + " Bucket4j in Caffeine); keys expiring between calls: 1700 ns/op, 190 B/op"
            + " => vs Bucket4j **missed** by 50 %; vs floor **missed** by 88 %; bytes **missed** by 38 %",
        rowOf(Report.targets(Report.read(dir)), "full decision, 3 stacked rules"));
    assertEquals("1.50 × (2000 ns per decision per thread with 2, 1500 with 1) => **missed** by 6 %",
        rowOf(Report.targets(Report.read(dir)), "full decision, 2 threads"), "average times are per thread");
  }

  @Test
  void theDecisionsBytesAreJudgedInWholeBytesAsPrinted() throws IOException {
    jmh("engine.json",
        engine("decide", 1, "random", 1000, 64.003), // JMH's own bookkeeping: not over 64
        engine("bucket4jInCaffeine", 1, "random", 3000, 192),
        engine("floorConcurrentHashMap", 1, "random", 600, 0));
    assertTrue(rowOf(Report.targets(Report.read(dir)), "full decision, 3 stacked rules").endsWith("bytes **met**"));
    jmh("engine.json",
        engine("decide", 1, "random", 1000, 64.6), // a real extra allocation now and then
        engine("bucket4jInCaffeine", 1, "random", 3000, 192),
        engine("floorConcurrentHashMap", 1, "random", 600, 0));
    String row = rowOf(Report.targets(Report.read(dir)), "full decision, 3 stacked rules");
    assertTrue(row.endsWith("bytes **missed** by 2 %"), row);
  }

  @Test
  void theScalingRowStatesTheFloorsOwnScalingBesideTheVerdict() throws IOException {
    jmh("engine.json",
        engine("decide", 1, "random", 1000, 64),
        engine("decide2Threads", 2, "random", 1200, 64),
        engine("floorConcurrentHashMap", 1, "random", 500, 0),
        engine("floorConcurrentHashMap2Threads", 2, "random", 800, 0));
    assertEquals("1.67 × (1200 ns per decision per thread with 2, 1000 with 1); the ConcurrentHashMap floor on this"
            + " machine: 1.25 × (800 ns per thread with 2, 500 with 1) => **met**; the floor scales 1.25 ×",
        rowOf(Report.targets(Report.read(dir)), "full decision, 2 threads"), "average times are per thread");
  }

  @Test
  void anEngineRunWithoutTheBucket4jRecipeIsNotMeasured() throws IOException {
    jmh("engine.json", result("EngineBenchmark.decide", 1, "avgt", 400, "ns/op", 40));
    assertEquals("not measured in this run => —", rowOf(Report.targets(Report.read(dir)), "full decision, 3 stacked rules"));
  }

  @Test
  void allocationFailsTheSingleKeyTargetWhateverTheTime() throws IOException {
    jmh("a.json",
        result("SingleKeyBenchmark.gcraGranted", 1, "avgt", 10, "ns/op", 24),
        result("SingleKeyBenchmark.gcraDenied", 1, "avgt", 10, "ns/op", 0),
        result("SingleKeyBenchmark.bucket4jGranted", 1, "avgt", 50, "ns/op", 104),
        result("SingleKeyBenchmark.bucket4jDenied", 1, "avgt", 50, "ns/op", 104));
    assertTrue(rowOf(Report.targets(Report.read(dir)), "token bucket, one key, 1 thread").endsWith("**missed** (allocates)"));
  }

  @Test
  void readmesAreSplicedBetweenTheMarkersOnly() throws IOException {
    jmhFixture();
    Path out = dir.resolve("results");
    Files.createDirectories(out);
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
        Files.move(f, out.resolve(f.getFileName()));
      }
    }
    Path readme = dir.resolve("README.md");
    Files.writeString(readme, "# Bench\n\nbefore\n" + Report.START + "\nold table\n" + Report.END + "\nafter\n");
    Report.write(out, readme, null, "short");
    String s = Files.readString(readme);
    assertTrue(s.startsWith("# Bench\n\nbefore\n" + Report.START + "\n"), s);
    assertTrue(s.endsWith(Report.END + "\nafter\n"), s);
    assertFalse(s.contains("old table"));
    assertTrue(s.contains("| retained memory per idle-but-live key"), s);
    assertTrue(s.contains("![benchmark chart](results/chart.svg)"), s);
    assertTrue(s.contains("| wrapped | 1 |  | 102 ± 1.5 | us/op | — |"), s);
    assertTrue(s.contains("`McpCallBenchmark` · 1 fork(s), 2 × 1 s warm-up, 3 × 1 s measurement\n"), s);
    assertTrue(s.contains("`KeyFootprint`\n"), "a program's result has no iteration settings: " + s);
    assertTrue(s.contains("- A token-bucket decision takes 0.60 × the time of Bucket4j's lock-free bucket and"
        + " allocates 0 B (Bucket4j: 104 B).\n"), s);
    assertTrue(s.contains("- On Redis: 3.0 × Bucket4j-Lettuce's decisions per second (3 stacked rules).\n"), s);
    assertTrue(Files.exists(out.resolve("report.md")));
  }

  @Test
  void aReadmeWithoutMarkersIsAnErrorNamingTheFile() throws IOException {
    jmhFixture();
    Path readme = dir.resolve("README.txt");
    Files.writeString(readme, "no markers here\n");
    IOException e = assertThrows(IOException.class, () -> Report.write(dir, readme, null, null));
    assertTrue(e.getMessage().contains("README.txt") && e.getMessage().contains(Report.START), e.getMessage());
    assertEquals("no markers here\n", Files.readString(readme), "nothing written");
  }

  @Test
  void chartHasOneBarPerMeasuredBenchmarkAndNoEmptyPanels() throws IOException {
    jmhFixture();
    String svg = Chart.svg(Report.read(dir));
    assertTrue(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assertTrue(svg.contains("token bucket, granted · mcp-ratelimit"));
    assertTrue(svg.contains("token bucket, granted · Bucket4j"));
    assertTrue(svg.contains(">30,000 /s<") || svg.contains(">30000 /s<"), "Redis ops/ms shown as /s");
    assertFalse(svg.contains("2 threads"), "no 2-thread results, so no 2-thread panel");
    assertFalse(svg.contains("Resilience4j</text><rect"), "no bar for an absent peer");
  }

  @Test
  void anEmptyDirectoryIsAnError() {
    IOException e = assertThrows(IOException.class, () -> Report.write(dir, null, null, null));
    assertTrue(e.getMessage().startsWith("no results in"), e.getMessage());
  }
}
