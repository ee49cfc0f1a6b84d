package dev.mcpratelimit.policy.internal;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A rate as written in a policy, {@code N/unit}: {@code 5/hour}, {@code 100/10m}, {@code 1/3s}.
 *
 * @param count N, positive
 * @param unit what follows the slash, as written
 */
record Rate(long count, String unit) {
  private static final Pattern RATE = Pattern.compile("\\s*(\\d+)\\s*/\\s*(\\S+)\\s*");

  /**
   * Reads a rate, recording a located problem (and returning {@code null}) when it is not one.
   *
   * @param expected what the field takes, for the message, e.g. {@code N/minute, N/hour or N/day}
   */
  static @Nullable Rate read(Reading r, @Nullable Node n, String path, String expected) {
    String t = r.text(n, path);
    if (t == null || n == null) {
      return null;
    }
    Matcher m = RATE.matcher(t);
    if (!m.matches()) {
      r.problem(n, path, "expected " + expected + ", but found '" + t + "'");
      return null;
    }
    long count;
    try {
      count = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      r.problem(n, path, "the count in '" + t + "' is larger than " + Long.MAX_VALUE);
      return null;
    }
    if (count <= 0) {
      r.problem(n, path, "the count must be positive, but found '" + t + "'");
      return null;
    }
    return new Rate(count, m.group(2));
  }

  /** @return the unit as a period ({@code 10m}, {@code second}), or {@code null} when it is not one */
  @Nullable Duration period() {
    Duration d = Reading.parseDuration(unit);
    return d == null || d.isZero() ? null : d;
  }

  @Override
  public String toString() {
    return count + "/" + unit;
  }
}
