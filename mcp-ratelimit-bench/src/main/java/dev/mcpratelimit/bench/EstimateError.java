package dev.mcpratelimit.bench;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.spi.LimitState;
import dev.mcpratelimit.spi.Probe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * How often the two-counter sliding window ({@link LimitSpec#slidingWindow}) decides differently
 * from the exact log ({@link LimitSpec#exactSlidingWindow}) on the same attempts: 100 per minute,
 * cost 1, replayed through the library's own limiters. Target (docs/architecture.md): ≤ 0.003 % wrong
 * decisions on the bursty agent trace.
 *
 * <p><b>What counts as wrong.</b> The score is measured on a <em>shared history</em>: before each
 * attempt both limiters hold the same grants (those the exact log made), both decide, and the
 * exact log's decision is the one recorded in both (a grant the estimate made wrongly is refunded,
 * a grant it denied wrongly is booked into it anyway). A wrong decision is then one where the
 * estimate, given exactly the state the exact log has, decides otherwise: a property of the
 * approximation at that attempt, not of what it decided earlier. Two other views are reported
 * beside it as secondary metrics. {@code independentHistories}: two limiters each living with its
 * own decisions (the core test {@code slidingWindowEstimateAgreesWithExactLogOnBurstyAgentTrace});
 * after a disagreement they judge later attempts against different states, and the drift mostly
 * damps further disagreement (a limiter that wrongly granted has counted more and turns stricter),
 * so it reads lower. {@code estimateHistory}: each decision the estimate actually made, judged by
 * the exact rule (at most the limit in any window-length interval) over the estimate's own
 * grants; its wrongly granted share is the share of calls a deployment of the estimate let
 * through beyond the sliding-window limit. Each is split into wrongly granted (estimate grants,
 * exact rule denies) and wrongly denied; {@code deniedByExactLog} gives the share of attempts the
 * exact log denies, since errors happen only near the limit.
 *
 * <p>Traces (fixed seeds, so every run gives the same figures): {@code burstyAgentTrace}, bursts
 * of 10 to 59 calls up to 20 ms apart separated by 1 s to 5 min of idleness, several agents on one
 * key (the core test's trace); {@code steadyTraceBelowLimit} and {@code steadyTraceAtLimit},
 * Poisson arrivals at 80 % and 100 % of the limit's rate.
 *
 * <p>Run: {@code java -cp mcp-ratelimit-bench/target/benchmarks.jar
 * dev.mcpratelimit.bench.EstimateError [results.json]} (default {@code target/estimate-error.json};
 * the suite, {@link Suite}, passes its results directory's {@code estimate-error.json}). Writes the
 * JMH JSON shape that {@link Report} reads: score in {@code % wrong}, mode {@code ss}.
 */
public final class EstimateError {
  private EstimateError() {}

  private static final long LIMIT = 100;
  private static final long WINDOW = Duration.ofMinutes(1).toNanos();
  private static final long T0 = 1_767_225_600_000_000_000L; // 2026-01-01T00:00:00Z

  /** Counts of one replay. */
  record Tally(long attempts, long wronglyGranted, long wronglyDenied, long deniedByExact) {
    double wrongPercent() {
      return percent(wronglyGranted + wronglyDenied);
    }

    double percent(long n) {
      return 100.0 * n / attempts;
    }
  }

  /** One trace's figures under both definitions. */
  record Row(String name, Tally shared, Tally independent, Tally estimateOwn) {}

  public static void main(String[] args) throws IOException {
    Path out = Path.of(args.length > 0 ? args[0] : "target/estimate-error.json");
    List<Row> rows = new ArrayList<>();
    rows.add(measure("burstyAgentTrace", burstyAgentTrace()));
    rows.add(measure("steadyTraceBelowLimit", poisson(0.8, 200_000, 20261123)));
    rows.add(measure("steadyTraceAtLimit", poisson(1.0, 200_000, 20261124)));
    for (Row r : rows) {
      System.out.printf(Locale.ROOT,
          "%-22s %,d attempts, %.2f %% denied by the exact log; shared history: %.4f %% wrong"
              + " (%d wrongly granted, %d wrongly denied); independent histories: %.4f %% wrong"
              + " (%d wrongly granted, %d wrongly denied); estimate's history: %.4f %% wrong"
              + " (%d wrongly granted, %d wrongly denied)%n",
          r.name(), r.shared().attempts(), r.shared().percent(r.shared().deniedByExact()),
          r.shared().wrongPercent(), r.shared().wronglyGranted(), r.shared().wronglyDenied(),
          r.independent().wrongPercent(), r.independent().wronglyGranted(), r.independent().wronglyDenied(),
          r.estimateOwn().wrongPercent(), r.estimateOwn().wronglyGranted(), r.estimateOwn().wronglyDenied());
    }
    Path dir = out.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    Files.writeString(out, json(rows));
    System.out.println("wrote " + out);
  }

  private static Row measure(String name, long[] times) {
    return new Row(name, sharedHistory(times), independentHistories(times), estimateHistory(times));
  }

  private static LimitState estimate() {
    return LimitState.of(LimitSpec.slidingWindow(LIMIT, Duration.ofNanos(WINDOW)));
  }

  private static LimitState exact() {
    return LimitState.of(LimitSpec.exactSlidingWindow(LIMIT, Duration.ofNanos(WINDOW)));
  }

  /** Each limiter lives with its own decisions; every attempt on which they differ counts. */
  static Tally independentHistories(long[] times) {
    LimitState estimate = estimate();
    LimitState exact = exact();
    long granted = 0;
    long denied = 0;
    long deniedByExact = 0;
    for (long now : times) {
      boolean a = estimate.tryAcquire(1, now, null);
      boolean b = exact.tryAcquire(1, now, null);
      if (!b) {
        deniedByExact++;
      }
      if (a && !b) {
        granted++;
      } else if (!a && b) {
        denied++;
      }
    }
    return new Tally(times.length, granted, denied, deniedByExact);
  }

  /**
   * The estimate lives with its own decisions, and each is judged by the exact rule (at most the
   * limit granted in any window-length interval) applied to the estimate's own grants.
   */
  static Tally estimateHistory(long[] times) {
    LimitState estimate = estimate();
    ArrayDeque<Long> grants = new ArrayDeque<>(); // the estimate's grants, oldest first
    long granted = 0;
    long denied = 0;
    long deniedByExact = 0;
    for (long now : times) {
      while (!grants.isEmpty() && now - grants.peekFirst() >= WINDOW) {
        grants.pollFirst();
      }
      boolean a = estimate.tryAcquire(1, now, null);
      boolean b = grants.size() + 1 <= LIMIT;
      if (!b) {
        deniedByExact++;
      }
      if (a && !b) {
        granted++;
      } else if (!a && b) {
        denied++;
      }
      if (a) {
        grants.addLast(now);
      }
    }
    return new Tally(times.length, granted, denied, deniedByExact);
  }

  /**
   * Both limiters hold the exact log's grants before every attempt; counts the attempts the
   * estimate decides otherwise.
   */
  static Tally sharedHistory(long[] times) {
    LimitState estimate = estimate();
    LimitState exact = exact();
    Probe probe = new Probe();
    long granted = 0;
    long denied = 0;
    long deniedByExact = 0;
    for (long now : times) {
      boolean a = estimate.tryAcquire(1, now, null);
      boolean b = exact.tryAcquire(1, now, probe);
      if (!b) {
        deniedByExact++;
      }
      if (a && !b) {
        granted++;
        estimate.refund(1, now, now); // restores exactly: nothing happened in between
      } else if (!a && b) {
        denied++;
        estimate = book(estimate, now, probe.remaining());
      }
    }
    return new Tally(times.length, granted, denied, deniedByExact);
  }

  /**
   * Books into the estimate a grant of 1 at {@code now} that it denied. Its state is two counts
   * tagged with the window, so a grant at the last nanosecond of the same window is the same
   * booking, and there the previous window weighs 1/window: it fits unless the grant fills the
   * current window to the limit while the previous window counted something. That state (current
   * count at the limit, previous count positive) cannot be reached by grants; the exact log then
   * denies every attempt until the window ends, as the estimate does, so the state with the
   * previous count dropped decides identically now and carries the right count into the next
   * window.
   */
  private static LimitState book(LimitState estimate, long now, long exactRemaining) {
    long start = Math.floorDiv(now, WINDOW) * WINDOW;
    if (estimate.tryAcquire(1, start + WINDOW - 1, null)) {
      return estimate;
    }
    if (exactRemaining != 0) {
      throw new AssertionError("the current window is full, so the exact log must be too");
    }
    LimitState full = estimate();
    if (!full.tryAcquire(LIMIT, start, null)) {
      throw new AssertionError("a fresh window must take the whole limit");
    }
    return full;
  }

  /** The core test's trace: bursts of 10 to 59 calls up to 20 ms apart, idle 1 s to 5 min. */
  static long[] burstyAgentTrace() {
    Random r = new Random(20261122);
    long[] times = new long[1024];
    int n = 0;
    long now = T0;
    while (n < 200_000) {
      int burst = 10 + r.nextInt(50);
      for (int i = 0; i < burst; i++) {
        now += r.nextInt(20_000_000);
        if (n == times.length) {
          times = Arrays.copyOf(times, n * 2);
        }
        times[n++] = now;
      }
      now += (1 + r.nextInt(300)) * 1_000_000_000L;
    }
    return Arrays.copyOf(times, n);
  }

  /** {@code n} Poisson arrivals at {@code load} times the limit's rate. */
  static long[] poisson(double load, int n, long seed) {
    Random r = new Random(seed);
    double mean = WINDOW / (LIMIT * load);
    long[] times = new long[n];
    long now = T0;
    for (int i = 0; i < n; i++) {
      now += (long) (-Math.log(1 - r.nextDouble()) * mean);
      times[i] = now;
    }
    return times;
  }

  // ------------------------------------------------------------------ JMH-shaped JSON

  static String json(List<Row> rows) {
    StringBuilder b = new StringBuilder("[\n");
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      Tally s = r.shared();
      Tally in = r.independent();
      b.append("  {\n");
      b.append("    \"benchmark\": ").append(string(EstimateError.class.getName() + "." + r.name())).append(",\n");
      b.append("    \"mode\": \"ss\",\n");
      b.append("    \"threads\": 1,\n");
      b.append("    \"forks\": 1,\n");
      b.append("    \"params\": {},\n");
      b.append("    \"primaryMetric\": ").append(metric(s.wrongPercent(), "% wrong")).append(",\n");
      b.append("    \"secondaryMetrics\": {\n");
      b.append("      \"wronglyGranted\": ").append(metric(s.percent(s.wronglyGranted()), "% wrong")).append(",\n");
      b.append("      \"wronglyDenied\": ").append(metric(s.percent(s.wronglyDenied()), "% wrong")).append(",\n");
      b.append("      \"independentHistories\": ").append(metric(in.wrongPercent(), "% wrong")).append(",\n");
      b.append("      \"independentHistoriesWronglyGranted\": ")
          .append(metric(in.percent(in.wronglyGranted()), "% wrong")).append(",\n");
      b.append("      \"independentHistoriesWronglyDenied\": ")
          .append(metric(in.percent(in.wronglyDenied()), "% wrong")).append(",\n");
      Tally own = r.estimateOwn();
      b.append("      \"estimateHistory\": ").append(metric(own.wrongPercent(), "% wrong")).append(",\n");
      b.append("      \"estimateHistoryWronglyGranted\": ")
          .append(metric(own.percent(own.wronglyGranted()), "% wrong")).append(",\n");
      b.append("      \"estimateHistoryWronglyDenied\": ")
          .append(metric(own.percent(own.wronglyDenied()), "% wrong")).append(",\n");
      b.append("      \"deniedByExactLog\": ").append(metric(s.percent(s.deniedByExact()), "% denied")).append(",\n");
      b.append("      \"attempts\": ").append(metric(s.attempts(), "attempts")).append("\n");
      b.append("    }\n");
      b.append(i + 1 < rows.size() ? "  },\n" : "  }\n");
    }
    return b.append("]\n").toString();
  }

  private static String metric(double score, String unit) {
    String v = number(score);
    return "{\"score\": " + v + ", \"scoreError\": 0, \"scoreUnit\": " + string(unit)
        + ", \"rawData\": [[" + v + "]]}";
  }

  private static String number(double d) {
    if (!Double.isFinite(d)) {
      throw new IllegalArgumentException("not a JSON number: " + d);
    }
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }

  private static String string(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }
}
