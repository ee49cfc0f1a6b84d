package dev.mcpratelimit.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The whole benchmark suite in one command: every JMH benchmark of this module (with the GC
 * profiler, for B/op), then the programs that measure what JMH does not (retained bytes per key,
 * Redis commands and PostgreSQL round trips per decision, the sliding-window estimate's error), each writing JMH-shaped JSON
 * into one directory; then {@link Report} turns that directory into the results table and chart.
 *
 * <p>Run (builds first, then runs the short mode, ~15 minutes on 2 cores):
 * {@code ./mvnw -q -Pbench -pl mcp-ratelimit-bench -am verify -DskipTests}; add
 * {@code -Dbench.mode=full} for 3 forks and longer iterations (about an hour),
 * {@code -Dbench.mode=smoke} to check in a few minutes that every step runs (figures meaningless), and
 * {@code -Dbench.only=REGEX} to run only the steps whose name matches. Directly:
 * {@code java -cp mcp-ratelimit-bench/target/benchmarks.jar dev.mcpratelimit.bench.Suite
 * --mode short --out mcp-ratelimit-bench/results [--readme mcp-ratelimit-bench/README.md]
 * [--top-readme README.md] [--only REGEX]}.
 */
public final class Suite {
  private Suite() {}

  /** Iteration settings of one mode. */
  private record Mode(int forks, int warmups, TimeValue warmupTime, int iterations, TimeValue iterationTime) {}

  /** Checks that every step runs and the report is produced; its figures mean nothing. */
  private static final Mode SMOKE = new Mode(1, 0, TimeValue.milliseconds(100), 1, TimeValue.milliseconds(200));
  private static final Mode SHORT = new Mode(1, 3, TimeValue.seconds(2), 5, TimeValue.seconds(2));
  private static final Mode FULL = new Mode(3, 5, TimeValue.seconds(2), 5, TimeValue.seconds(2));

  /**
   * Settings for benchmarks whose operation is a localhost round trip and whose JIT warm-up spans
   * the SDK, Reactor and Tomcat: a longer warm-up, and three forks even in short mode, because
   * the round trip differs more between JVMs than the few hundred nanoseconds compared.
   */
  private static final Mode SHORT_SLOW = new Mode(3, 8, TimeValue.seconds(2), 4, TimeValue.seconds(2));
  private static final Mode FULL_SLOW = new Mode(3, 10, TimeValue.seconds(2), 5, TimeValue.seconds(2));

  private static final List<String> SLOW = List.of("McpCallBenchmark");

  /** JMH benchmark classes, in run order. */
  private static final List<String> JMH = List.of(
      "SingleKeyBenchmark", "EngineBenchmark", "McpCallBenchmark", "RedisBenchmark", "PostgresBenchmark");

  /** A measurement program: main class, JVM options, arguments before the output file. */
  private record Program(String name, List<String> jvmArgs, List<String> args, String output) {}

  private static final List<Program> PROGRAMS = List.of(
      new Program("KeyFootprint", List.of("-Xmx4g"), List.of("1000000", "--json"), "footprint.json"),
      new Program("RedisCommandCount", List.of(), List.of(), "redis-commands.json"),
      new Program("PostgresStatementCount", List.of(), List.of(), "postgres-round-trips.json"),
      new Program("EstimateError", List.of(), List.of(), "estimate-error.json"));

  /**
   * Runs the suite.
   *
   * @param args {@code --mode short|full|smoke}, {@code --out DIR}, optional {@code --readme FILE},
   *     {@code --top-readme FILE}, {@code --only REGEX}
   * @throws Exception if a step fails
   */
  public static void main(String[] args) throws Exception {
    String mode = "short";
    Path out = Path.of("mcp-ratelimit-bench/results");
    Path readme = null;
    Path topReadme = null;
    Pattern only = Pattern.compile(".*");
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value after " + a);
      }
      String v = args[++i];
      switch (a) {
        case "--mode" -> mode = v.toLowerCase(Locale.ROOT);
        case "--out" -> out = Path.of(v);
        case "--readme" -> readme = Path.of(v);
        case "--top-readme" -> topReadme = Path.of(v);
        case "--only" -> only = Pattern.compile(v);
        default -> throw new IllegalArgumentException("unknown option " + a
            + " (expected --mode, --out, --readme, --top-readme, --only)");
      }
    }
    Mode m = switch (mode) {
      case "short" -> SHORT;
      case "full" -> FULL;
      case "smoke" -> SMOKE;
      default -> throw new IllegalArgumentException("--mode must be short, full or smoke, was " + mode);
    };
    Files.createDirectories(out);
    long start = System.nanoTime();
    List<String> skipped = new ArrayList<>();
    for (String bench : JMH) {
      if (!only.matcher(bench).find()) {
        continue;
      }
      step(bench);
      Mode bm = !SLOW.contains(bench) ? m : m == SHORT ? SHORT_SLOW : m == FULL ? FULL_SLOW : m;
      if (!runJmh(bench, bm, out.resolve("jmh-" + bench + ".json"))) {
        skipped.add(bench);
      }
    }
    for (Program p : PROGRAMS) {
      if (!only.matcher(p.name()).find()) {
        continue;
      }
      step(p.name());
      if (!runProgram(p, out.resolve(p.output()))) {
        skipped.add(p.name());
      }
    }
    step("report");
    Report.write(out, readme, topReadme, mode);
    System.out.printf("suite (%s) done in %.1f min; results in %s%s%n", mode,
        (System.nanoTime() - start) / 60e9, out, skipped.isEmpty() ? "" : "; not found: " + skipped);
  }

  private static void step(String name) {
    System.out.println();
    System.out.println("=== " + name + " ===");
  }

  private static boolean runJmh(String bench, Mode m, Path json) throws RunnerException {
    ChainedOptionsBuilder o = new OptionsBuilder()
        .include("dev\\.mcpratelimit\\.bench\\." + bench + "\\.")
        .forks(m.forks())
        .warmupIterations(m.warmups()).warmupTime(m.warmupTime())
        .measurementIterations(m.iterations()).measurementTime(m.iterationTime())
        .addProfiler(GCProfiler.class)
        .shouldFailOnError(true)
        .resultFormat(ResultFormatType.JSON).result(json.toString());
    try {
      new Runner(o.build()).run();
      return true;
    } catch (NoBenchmarksException e) {
      System.out.println(bench + ": no such benchmark in this jar, skipped");
      return false;
    }
  }

  private static boolean runProgram(Program p, Path json) throws IOException, InterruptedException {
    String main = Suite.class.getPackageName() + "." + p.name();
    try {
      Class.forName(main, false, Suite.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      System.out.println(p.name() + ": not in this jar, skipped");
      return false;
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(p.jvmArgs());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main);
    cmd.addAll(p.args());
    cmd.add(json.toString());
    Process proc = new ProcessBuilder(cmd).inheritIO().start();
    int exit = proc.waitFor();
    if (exit != 0) {
      throw new IOException(p.name() + " exited with " + exit + ": " + String.join(" ", cmd));
    }
    if (!Files.isRegularFile(json)) {
      throw new IOException(p.name() + " wrote no results to " + json);
    }
    return true;
  }
}
