package dev.mcpratelimit.internal.format;

import java.time.Duration;
import java.util.Locale;

/**
 * Formats durations and rounds them up to whole seconds or milliseconds: the one place that does,
 * for the engine's denial messages, the adapter's denial rendering (text, structured fields,
 * HTTP headers) and the policy tools. Rounding is always up, so a caller told to retry after
 * {@code n} seconds is never early.
 */
public final class Durations {
  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private static final long NANOS_PER_MILLI = 1_000_000L;

  private Durations() {}

  /**
   * A duration in words, as a sentence reads it: {@code 1 minute}, {@code 10 minutes},
   * {@code 1 hour}, {@code 250 milliseconds}; a duration that is no whole number of one unit in
   * its {@linkplain #compact compact} form ({@code 1.5s}, {@code 1m30s}).
   *
   * @param d a positive duration
   * @return the words
   */
  public static String words(Duration d) {
    long s = d.getSeconds();
    if (d.getNano() == 0 && s > 0) {
      if (s % 86_400 == 0) {
        return plural(s / 86_400, "day");
      }
      if (s % 3600 == 0) {
        return plural(s / 3600, "hour");
      }
      if (s % 60 == 0) {
        return plural(s / 60, "minute");
      }
      return plural(s, "second");
    }
    if (s == 0 && d.getNano() % NANOS_PER_MILLI == 0) {
      return plural(d.toMillis(), "millisecond");
    }
    return compact(d);
  }

  /**
   * A duration in the compact form a table shows: ISO-8601 without its {@code PT}, in lower case
   * ({@code 1s}, {@code 1.5s}, {@code 1m30s}, {@code 24h}).
   *
   * @param d a duration
   * @return the compact form
   */
  public static String compact(Duration d) {
    return d.toString().substring(2).toLowerCase(Locale.ROOT);
  }

  /**
   * Nanoseconds rounded up to whole seconds.
   *
   * @param nanos 0 or more
   * @return the seconds, at least {@code nanos / 1e9}, never overflowing
   */
  public static long ceilSeconds(long nanos) {
    return ceil(nanos, NANOS_PER_SECOND);
  }

  /**
   * A duration rounded up to whole seconds, without converting it to nanoseconds (so a duration
   * too long for a {@code long} of nanoseconds still rounds).
   *
   * @param d a duration, zero or positive
   * @return the seconds
   */
  public static long ceilSeconds(Duration d) {
    return d.getNano() == 0 ? d.getSeconds() : d.getSeconds() + 1;
  }

  /**
   * Nanoseconds rounded up to whole milliseconds.
   *
   * @param nanos 0 or more
   * @return the milliseconds
   */
  public static long ceilMillis(long nanos) {
    return ceil(nanos, NANOS_PER_MILLI);
  }

  private static long ceil(long n, long unit) {
    long q = n / unit;
    return n % unit > 0 ? q + 1 : q;
  }

  private static String plural(long n, String unit) {
    return n == 1 ? "1 " + unit : n + " " + unit + "s";
  }
}
