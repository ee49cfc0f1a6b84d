package dev.mcpratelimit.cli;

import dev.mcpratelimit.Rule;
import dev.mcpratelimit.cli.bench.AlgorithmBenchmark;
import dev.mcpratelimit.cli.bench.PolicyBenchmark;
import dev.mcpratelimit.cli.bench.Workload;
import dev.mcpratelimit.cli.internal.Fmt;
import dev.mcpratelimit.policy.PolicyCli;
import dev.mcpratelimit.policy.PolicyFile;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bench POLICY [--trace calls.jsonl | --synthetic users=1000000,zipf=1.0]}. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Benchmarks your own policy with JMH: the time (ns/op) and allocation (B/op, GC profiler) of one "
        + "full decision on your traffic — a recorded trace, or synthetic users drawn from a Zipf distribution — and "
        + "of each rule's algorithm alone, so you can compare limiter choices for your rules.",
        "JMH progress goes to stderr, the results table to stdout. Absolute times depend on the machine; compare "
            + "runs on the same one."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:benchmarked", "1:the policy has problems", "2:bad usage", "4:the trace cannot be read"})
final class BenchCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "POLICY", description = "the policy to benchmark")
  Path policy;

  static final class Traffic {
    @Option(names = "--trace", paramLabel = "FILE", required = true, description = "replay this trace's calls and timing")
    @Nullable Path trace;

    @Option(names = "--synthetic", paramLabel = "SETTINGS", required = true,
        description = "users=N,zipf=S[,tenants=T][,rate=CALLS_PER_SECOND] (default users=1000000,zipf=1.0,tenants=1000,rate=1000)")
    @Nullable String synthetic;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  @Nullable Traffic traffic;

  @Option(names = "--forks", description = "JVM forks per benchmark (default ${DEFAULT-VALUE}; 0 runs in this JVM)")
  int forks = 1;

  @Option(names = "--warmup", paramLabel = "N", description = "warm-up iterations (default ${DEFAULT-VALUE})")
  int warmup = 3;

  @Option(names = "--iterations", paramLabel = "N", description = "measured iterations (default ${DEFAULT-VALUE})")
  int iterations = 5;

  @Option(names = "--time", paramLabel = "TIME", description = "length of each iteration, e.g. 1s or 200ms (default ${DEFAULT-VALUE})")
  String time = "1s";

  @Option(names = "--no-rules", description = "benchmark only the full decision, not each rule's algorithm")
  boolean noRules;

  @Option(names = "--quiet", description = "no JMH progress output")
  boolean quiet;

  @Override
  public Integer call() throws RunnerException {
    PrintWriter out = spec.commandLine().getOut();
    PolicyFile f = Policies.load(policy, spec.commandLine().getErr());
    if (f == null) {
      return Main.PROBLEMS;
    }
    if (forks < 0 || warmup < 0 || iterations < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--forks and --warmup must be 0 or more and --iterations at least 1");
    }
    TimeValue iterationTime;
    try {
      iterationTime = TimeValue.fromString(time);
    } catch (RuntimeException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--time: expected e.g. 1s or 200ms, but was '" + time + "'");
    }
    String trace = traffic != null && traffic.trace != null ? traffic.trace.toAbsolutePath().toString() : "";
    String synthetic = traffic != null && traffic.synthetic != null ? traffic.synthetic : "";
    Workload work;
    try {
      if (!trace.isEmpty()) {
        if (!Files.isRegularFile(Path.of(trace))) {
          throw new Main.InputException("trace " + trace + ": no such file");
        }
        work = Workload.fromTrace(Path.of(trace));
      } else {
        work = Workload.synthetic(f.policy(), synthetic);
      }
    } catch (dev.mcpratelimit.trace.TraceEvent.TraceFormatException e) {
      throw new Main.InputException(e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    List<String> rules = new ArrayList<>();
    for (Rule r : f.policy().rules()) {
      if (r.limit() != null) {
        rules.add(r.name());
      }
    }
    String policyPath = policy.toAbsolutePath().toString();
    ChainedOptionsBuilder opts = new OptionsBuilder()
        .include(PolicyBenchmark.class.getName() + ".decide$")
        .param("policy", policyPath)
        .param("trace", trace)
        .param("synthetic", synthetic)
        .forks(forks)
        .warmupIterations(warmup)
        .warmupTime(iterationTime)
        .measurementIterations(iterations)
        .measurementTime(iterationTime)
        .addProfiler(GCProfiler.class)
        .shouldFailOnError(true);
    if (!noRules && !rules.isEmpty()) {
      opts.include(AlgorithmBenchmark.class.getName() + ".tryAcquire$").param("rule", rules.toArray(new String[0]));
    }
    PrintStream progress = quiet ? new PrintStream(java.io.OutputStream.nullOutputStream()) : System.err;
    Collection<RunResult> results = new Runner(opts.build(),
        OutputFormatFactory.createFormatInstance(progress, quiet ? VerboseMode.SILENT : VerboseMode.NORMAL)).run();

    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"BENCHMARK", "NS/OP", "±", "B/OP"});
    for (RunResult r : sorted(results, rules)) {
      String name;
      if (r.getParams().getBenchmark().endsWith(".decide")) {
        name = "full decision (" + work.description() + ")";
      } else {
        String rule = r.getParams().getParam("rule");
        Rule x = null;
        for (Rule y : f.policy().rules()) {
          if (y.name().equals(rule)) {
            x = y;
          }
        }
        name = "rule '" + rule + "' alone: " + (x == null ? "?" : PolicyCli.describeLimit(x));
      }
      Result<?> p = r.getPrimaryResult();
      rows.add(new String[] {name, String.format(Locale.ROOT, "%.1f", p.getScore()),
          Double.isNaN(p.getScoreError()) ? "-" : String.format(Locale.ROOT, "%.1f", p.getScoreError()), bytes(r)});
    }
    out.println();
    out.print(Fmt.table(rows, new boolean[] {false, true, true, true}));
    out.println("JMH " + forks + " fork(s), " + warmup + " warm-up and " + iterations + " measured iteration(s) of " + time
        + "; policy " + policy.getFileName() + "; JVM " + System.getProperty("java.vm.version"));
    return Main.OK;
  }

  /** The full decision first, then the rules in policy order. */
  private static List<RunResult> sorted(Collection<RunResult> results, List<String> rules) {
    List<RunResult> l = new ArrayList<>(results);
    l.sort(java.util.Comparator.comparingInt(r -> r.getParams().getBenchmark().endsWith(".decide") ? -1
        : rules.indexOf(r.getParams().getParam("rule"))));
    return l;
  }

  private static String bytes(RunResult r) {
    for (Map.Entry<String, Result> e : r.getSecondaryResults().entrySet()) {
      if (e.getKey().endsWith("gc.alloc.rate.norm")) {
        return String.format(Locale.ROOT, "%.0f", e.getValue().getScore());
      }
    }
    return "-";
  }
}
