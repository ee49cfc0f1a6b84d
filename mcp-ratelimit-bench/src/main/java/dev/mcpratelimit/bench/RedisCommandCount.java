package dev.mcpratelimit.bench;

import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimiter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntPredicate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Redis commands per decision: for each library, exactly N decisions (default 10,000; three
 * stacked token-bucket rules keyed user, tool and tenant, the workload of {@link RedisBenchmark};
 * every decision must be a grant) against a flushed server whose statistics were reset
 * ({@code CONFIG RESETSTAT}) after the library connected and loaded its scripts, so only the
 * decisions' commands are counted. Runs once with 1 caller (exact and reproducible: the
 * docs/architecture.md target, "exactly 1") and once with 16 concurrent callers (Bucket4j's compare-and-swap retries
 * under contention show up there).
 *
 * <p>Two counts per run. <b>Commands sent</b> (the score, the target's meaning: what crosses the
 * network, one round trip each) come from {@code MONITOR}, which marks the commands a script runs
 * as {@code lua}; {@code INFO commandstats} cannot tell them apart, as it counts a script's
 * {@code redis.call}s beside the {@code EVAL}/{@code EVALSHA} that ran them. <b>INFO
 * commandstats</b> (everything Redis executed, including inside scripts) is reported beside it.
 * With 3 rules, ours sends 1 {@code EVALSHA} (8 executed: it also runs 3 GET, 3 SET and TIME);
 * Bucket4j sends a GET and an EVAL of its compare-and-swap script per bucket, and more on retries.
 *
 * <p>Prints both, per command, and writes them as a JSON file shaped like JMH's result file, read
 * by {@link Report}: benchmarks {@code dev.mcpratelimit.bench.RedisCommandCount.ours} and
 * {@code .bucket4j} (1 caller), {@code .ours16Callers} and {@code .bucket4j16Callers}; score:
 * commands sent per decision ({@code commands/decision}); secondary metrics: {@code sent.<command>},
 * {@code commandstats.total} and {@code commandstats.<command>}, per decision.
 *
 * <p>Run: {@code java -cp mcp-ratelimit-bench/target/benchmarks.jar
 * dev.mcpratelimit.bench.RedisCommandCount [--decisions N] [OUTPUT.json]} (default output
 * {@code target/redis-commands.json}; set {@code REDIS_URL} to use an existing server — it is
 * flushed, and must allow {@code MONITOR} and {@code CONFIG RESETSTAT}).
 */
public final class RedisCommandCount {
  private static final String PKG = RedisCommandCount.class.getName() + ".";

  private RedisCommandCount() {}

  /**
   * Counts.
   *
   * @param args {@code [--decisions N] [output file]}
   * @throws Exception if Redis cannot be started or a decision fails
   */
  public static void main(String[] args) throws Exception {
    int n = 10_000;
    Path out = Path.of("target/redis-commands.json");
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--decisions") && i + 1 < args.length) {
        n = Integer.parseInt(args[++i]);
      } else if (args[i].startsWith("--")) {
        throw new IllegalArgumentException("unknown option " + args[i] + " (expected --decisions N, then the output file)");
      } else {
        out = Path.of(args[i]);
      }
    }
    List<Map<String, Object>> results = new ArrayList<>();
    try (RedisFixture redis = RedisFixture.start()) {
      for (int callers : new int[] {1, 16}) {
        String suffix = callers == 1 ? "" : callers + "Callers";

        RedisFixture.Failures failures = new RedisFixture.Failures();
        RateLimiter ours = redis.ours(failures);
        try {
          results.add(count(redis, "ours" + suffix, n, callers, i -> {
            Decision d = ours.acquire(redis.calls[i]);
            if (d instanceof Decision.Granted g) {
              g.commit();
              return true;
            }
            return false;
          }));
        } finally {
          ours.store().close();
        }
        if (failures.storeErrors.sum() > 0) {
          throw new IllegalStateException("store errors: " + failures.storeErrors.sum(), failures.lastError);
        }

        try (RedisFixture.Bucket4jSide b4j = redis.bucket4j()) {
          results.add(count(redis, "bucket4j" + suffix, n, callers, i -> b4j.decide(redis, i)));
        }
      }
    }
    Path dir = out.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    Files.writeString(out, JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(results));
    System.out.println("written " + out);
  }

  /** Runs n decisions over the callers on a flushed, stat-reset server and returns the JMH-shaped result. */
  private static Map<String, Object> count(RedisFixture redis, String name, int n, int callers, IntPredicate decide)
      throws Exception {
    redis.flush();
    redis.resetStats();
    Monitor monitor = redis.monitor();
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      List<Future<Integer>> parts = new ArrayList<>();
      for (int t = 0; t < callers; t++) {
        int from = (int) ((long) n * t / callers);
        int to = (int) ((long) n * (t + 1) / callers);
        int start = t * (RedisFixture.ORDER / callers);
        parts.add(pool.submit(() -> {
          int refused = 0;
          for (int k = from; k < to; k++) {
            if (!decide.test(redis.order[(start + k) & (RedisFixture.ORDER - 1)])) {
              refused++;
            }
          }
          return refused;
        }));
      }
      int refused = 0;
      for (Future<Integer> f : parts) {
        refused += f.get();
      }
      if (refused > 0) {
        throw new IllegalStateException(name + ": " + refused + " of " + n + " decisions refused; expected only grants");
      }
    } catch (Exception | Error e) {
      monitor.close();
      throw e;
    } finally {
      pool.shutdown();
    }
    Map<String, Long> sent = monitor.stop();
    Map<String, Long> stats = redis.commandStats();
    long sentTotal = sent.values().stream().mapToLong(Long::longValue).sum();
    long statsTotal = stats.values().stream().mapToLong(Long::longValue).sum();
    double perDecision = (double) sentTotal / n;
    System.out.printf(Locale.ROOT, "%-18s %2d caller(s), %,d decisions: %.3f commands sent per decision %s;"
        + " INFO commandstats (with the commands scripts run): %.3f per decision %s%n",
        name, callers, n, perDecision, perDecision(sent, n), (double) statsTotal / n, perDecision(stats, n));

    Map<String, Object> secondary = new LinkedHashMap<>();
    sent.forEach((cmd, calls) -> secondary.put("sent." + cmd, metric((double) calls / n)));
    secondary.put("commandstats.total", metric((double) statsTotal / n));
    stats.forEach((cmd, calls) -> secondary.put("commandstats." + cmd, metric((double) calls / n)));
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("jmhVersion", "n/a");
    r.put("benchmark", PKG + name);
    r.put("mode", "ss");
    r.put("threads", callers);
    r.put("forks", 1);
    r.put("jdkVersion", System.getProperty("java.version"));
    r.put("vmName", System.getProperty("java.vm.name"));
    r.put("params", Map.of());
    r.put("primaryMetric", metric(perDecision));
    r.put("secondaryMetrics", secondary);
    return r;
  }

  private static Map<String, String> perDecision(Map<String, Long> counts, int n) {
    Map<String, String> out = new LinkedHashMap<>();
    counts.forEach((cmd, calls) -> out.put(cmd, String.format(Locale.ROOT, "%.3f", (double) calls / n)));
    return out;
  }

  private static Map<String, Object> metric(double score) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("score", score);
    m.put("scoreError", 0.0);
    m.put("scoreUnit", "commands/decision");
    m.put("rawData", List.of(List.of(score)));
    return m;
  }
}
