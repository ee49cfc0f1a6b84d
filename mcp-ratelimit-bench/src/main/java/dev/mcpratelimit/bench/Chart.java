package dev.mcpratelimit.bench;

import dev.mcpratelimit.bench.Report.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The benchmark chart: horizontal bar panels (ns/op, B/op, decisions/s), ours beside Bucket4j,
 * Resilience4j and Guava, drawn as a self-contained SVG with no dependencies. Panels whose
 * benchmarks are absent from the results are left out.
 */
final class Chart {
  private Chart() {}

  private static final int WIDTH = 860;
  private static final int LABEL = 330;
  private static final int BAR = 400;
  private static final int ROW = 18;

  private enum Library {
    OURS("mcp-ratelimit", "#2b6cb0"),
    BUCKET4J("Bucket4j", "#dd6b20"),
    RESILIENCE4J("Resilience4j", "#38a169"),
    GUAVA("Guava", "#805ad5");

    final String label;
    final String colour;

    Library(String label, String colour) {
      this.label = label;
      this.colour = colour;
    }
  }

  private record Bar(String label, Library library, double value) {}

  private record Panel(String title, String unit, List<Bar> bars) {}

  /** Which benchmark becomes which bar: class, method, label, library. */
  private record Spec(String cls, String method, String label, Library library) {}

  private static final List<Spec> ONE_THREAD = List.of(
      new Spec("SingleKeyBenchmark", "gcraGranted", "token bucket, granted", Library.OURS),
      new Spec("SingleKeyBenchmark", "bucket4jGranted", "token bucket, granted", Library.BUCKET4J),
      new Spec("SingleKeyBenchmark", "resilience4jGranted", "rate limiter, granted", Library.RESILIENCE4J),
      new Spec("SingleKeyBenchmark", "guavaGranted", "rate limiter, granted", Library.GUAVA),
      new Spec("SingleKeyBenchmark", "gcraDenied", "token bucket, denied", Library.OURS),
      new Spec("SingleKeyBenchmark", "bucket4jDenied", "token bucket, denied", Library.BUCKET4J),
      new Spec("SingleKeyBenchmark", "resilience4jDenied", "rate limiter, denied", Library.RESILIENCE4J),
      new Spec("SingleKeyBenchmark", "guavaDenied", "rate limiter, denied", Library.GUAVA),
      new Spec("SingleKeyBenchmark", "calendarGranted", "calendar window, granted", Library.OURS),
      new Spec("SingleKeyBenchmark", "calendarDenied", "calendar window, denied", Library.OURS),
      new Spec("SingleKeyBenchmark", "slidingGranted", "sliding window (estimate), granted", Library.OURS),
      new Spec("SingleKeyBenchmark", "slidingDenied", "sliding window (estimate), denied", Library.OURS),
      new Spec("SingleKeyBenchmark", "exactSlidingDenied", "sliding window (exact), denied", Library.OURS),
      new Spec("SingleKeyBenchmark", "concurrencyAcquireRelease", "concurrency, acquire + release", Library.OURS));

  private static final List<Spec> TWO_THREADS = List.of(
      new Spec("SingleKeyBenchmark", "gcraGranted2Threads", "token bucket, granted", Library.OURS),
      new Spec("SingleKeyBenchmark", "bucket4jGranted2Threads", "token bucket, granted", Library.BUCKET4J),
      new Spec("SingleKeyBenchmark", "resilience4jGranted2Threads", "rate limiter, granted", Library.RESILIENCE4J),
      new Spec("SingleKeyBenchmark", "gcraDenied2Threads", "token bucket, denied", Library.OURS),
      new Spec("SingleKeyBenchmark", "bucket4jDenied2Threads", "token bucket, denied", Library.BUCKET4J),
      new Spec("SingleKeyBenchmark", "calendarGranted2Threads", "calendar window, granted", Library.OURS));

  private static final List<Spec> ENGINE = List.of(
      new Spec("EngineBenchmark", "decide", "3 rules, 1M Zipf keys, 1 thread", Library.OURS),
      new Spec("EngineBenchmark", "decide2Threads", "3 rules, 1M Zipf keys, 2 threads", Library.OURS));

  private static final List<Spec> MCP = List.of(
      new Spec("McpCallBenchmark", "bare", "tools/call, bare handler", Library.OURS),
      new Spec("McpCallBenchmark", "wrapped", "tools/call, rate-limited handler", Library.OURS));

  private static final List<Spec> REDIS = List.of(
      new Spec("RedisBenchmark", "ours", "3 rules, 16 callers", Library.OURS),
      new Spec("RedisBenchmark", "bucket4j", "3 buckets, 16 callers", Library.BUCKET4J));

  static String svg(Map<String, Result> all) {
    List<Panel> panels = new ArrayList<>();
    add(panels, all, "One key, 1 thread: ns per decision (shorter is better)", "ns", ONE_THREAD, Result::nanos);
    add(panels, all, "One key, 1 thread: bytes allocated per decision", "B", ONE_THREAD, Result::bytesPerOp);
    add(panels, all, "One key, 2 threads: ns per decision per thread (shorter is better)", "ns", TWO_THREADS,
        Result::nanos);
    add(panels, all, "Full engine decision: ns per decision", "ns", ENGINE, Result::nanos);
    add(panels, all, "Full engine decision: bytes allocated per decision", "B", ENGINE, Result::bytesPerOp);
    add(panels, all, "MCP tools/call through the SDK: µs per call", "µs", MCP, r -> r.nanos() / 1e3);
    add(panels, all, "Redis: decisions per second (longer is better)", "/s", REDIS,
        r -> Report.toOpsPerSecond(r.score(), r.unit()));
    return draw(panels);
  }

  private static void add(List<Panel> panels, Map<String, Result> all, String title, String unit, List<Spec> specs,
      ToDoubleFunction<Result> value) {
    List<Bar> bars = new ArrayList<>();
    for (Spec s : specs) {
      Result r = Report.find(all, s.cls(), s.method());
      if (r != null) {
        double v = value.applyAsDouble(r);
        if (!Double.isNaN(v)) {
          bars.add(new Bar(s.label() + " · " + s.library().label, s.library(), Math.max(0, v)));
        }
      }
    }
    if (!bars.isEmpty()) {
      panels.add(new Panel(title, unit, bars));
    }
  }

  private static String draw(List<Panel> panels) {
    int height = 40;
    for (Panel p : panels) {
      height += 30 + p.bars().size() * ROW + 12;
    }
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            + "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">%n", WIDTH, height, WIDTH, height));
    sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", WIDTH, height));
    int x = 10;
    for (Library l : Library.values()) {
      sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"12\" width=\"12\" height=\"12\" fill=\"%s\"/>"
          + "<text x=\"%d\" y=\"22\">%s</text>%n", x, l.colour, x + 16, l.label));
      x += 30 + l.label.length() * 7;
    }
    int y = 40;
    for (Panel p : panels) {
      y += 20;
      sb.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"%d\" font-weight=\"bold\">%s</text>%n", y, esc(p.title())));
      y += 10;
      double max = p.bars().stream().mapToDouble(Bar::value).max().orElse(1);
      if (max <= 0) {
        max = 1;
      }
      for (Bar b : p.bars()) {
        int w = (int) Math.round(BAR * b.value() / max);
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>",
            LABEL - 8, y + 13, esc(b.label())));
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>",
            LABEL, y + 3, Math.max(w, 1), ROW - 5, b.library().colour));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s %s</text>%n",
            LABEL + Math.max(w, 1) + 6, y + 13, Report.num(b.value()), esc(p.unit())));
        y += ROW;
      }
      y += 12;
    }
    sb.append("</svg>\n");
    return sb.toString();
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
