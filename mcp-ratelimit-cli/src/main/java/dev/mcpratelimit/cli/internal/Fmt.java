package dev.mcpratelimit.cli.internal;

import dev.mcpratelimit.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Formatting shared by the text, JSON and HTML reports. */
public final class Fmt {
  private Fmt() {}

  /** @param nanos a duration @return e.g. {@code 250 ms}, {@code 12.5 s}, {@code 3.2 min}, {@code 1.5 h} */
  public static String duration(long nanos) {
    if (nanos < 0) {
      return "never";
    }
    double s = nanos / 1e9;
    if (s < 1) {
      return Math.round(nanos / 1e6) + " ms";
    }
    if (s < 60) {
      return trim(s) + " s";
    }
    if (s < 3600) {
      return trim(s / 60) + " min";
    }
    return trim(s / 3600) + " h";
  }

  private static String trim(double v) {
    String t = String.format(Locale.ROOT, "%.1f", v);
    return t.endsWith(".0") ? t.substring(0, t.length() - 2) : t;
  }

  /** @param epochNanos a time @return ISO-8601, to the millisecond */
  public static String time(long epochNanos) {
    return Clock.toInstant(epochNanos).truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString();
  }

  /** @param part a count @param whole the limit @return e.g. {@code 100 %} */
  public static String percent(long part, long whole) {
    return whole <= 0 ? "-" : Math.round(100.0 * part / whole) + " %";
  }

  /** The retry-after histogram's bucket labels, in order. */
  public static final List<String> RETRY_BUCKETS =
      List.of("< 1 s", "1-10 s", "10-60 s", "1-10 min", "10-60 min", ">= 1 h", "never");

  /** @param retryAfters nanoseconds, -1 for never @return counts per {@link #RETRY_BUCKETS} bucket */
  public static long[] retryHistogram(List<Long> retryAfters) {
    long[] h = new long[RETRY_BUCKETS.size()];
    long[] bounds = {1_000_000_000L, 10_000_000_000L, 60_000_000_000L, 600_000_000_000L, 3_600_000_000_000L};
    for (long r : retryAfters) {
      if (r < 0) {
        h[6]++;
        continue;
      }
      int i = 0;
      while (i < bounds.length && r >= bounds[i]) {
        i++;
      }
      h[i]++;
    }
    return h;
  }

  /** @param retryAfters nanoseconds, -1 for never @param q 0..1 @return the quantile of the finite ones, or -1 */
  public static long quantile(List<Long> retryAfters, double q) {
    List<Long> finite = new ArrayList<>();
    for (long r : retryAfters) {
      if (r >= 0) {
        finite.add(r);
      }
    }
    if (finite.isEmpty()) {
      return -1;
    }
    finite.sort(null);
    int i = (int) Math.ceil(q * finite.size()) - 1;
    return finite.get(Math.max(0, Math.min(finite.size() - 1, i)));
  }

  /** Left-aligned columns, two spaces apart, trailing blanks trimmed. */
  public static String table(List<String[]> rows, boolean[] rightAligned) {
    int[] w = new int[rows.get(0).length];
    for (String[] r : rows) {
      for (int i = 0; i < r.length; i++) {
        w[i] = Math.max(w[i], r[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.length; i++) {
        String cell = r[i];
        String pad = " ".repeat(w[i] - cell.length());
        line.append(rightAligned[i] ? pad + cell : cell + pad);
        if (i < r.length - 1) {
          line.append("  ");
        }
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    return sb.toString();
  }
}
