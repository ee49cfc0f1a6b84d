package dev.mcpratelimit.policy.internal;

import dev.mcpratelimit.policy.Problem;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The state of reading one document: where it came from, the problems and warnings found so far,
 * and the typed accessors every part of the reader shares (objects with known fields, text,
 * booleans, whole numbers, choices, durations). Each accessor records a located problem and
 * returns {@code null} instead of throwing.
 */
final class Reading {
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
  private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

  final String source;
  final List<Problem> problems = new ArrayList<>();
  final List<Problem> warnings = new ArrayList<>();

  Reading(String source) {
    this.source = source;
  }

  void problem(Node at, String path, String message) {
    problems.add(new Problem(source, at.line, at.column, path, message));
  }

  void warning(Node at, String path, String message) {
    warnings.add(new Problem(source, at.line, at.column, path, message));
  }

  /** @return the position of field {@code name} in {@code m} (the key, not its value) */
  Node keyAt(Node.MapNode m, String name) {
    int[] p = m.keyPositions.get(name);
    return p == null ? m : new Node.Scalar(p[0], p[1], name);
  }

  static String join(String path, String field) {
    return path.isEmpty() ? field : path + "." + field;
  }

  /** An object whose fields must all be in {@code allowed}; unknown ones are reported with a hint. */
  Node.@Nullable MapNode map(Node n, String path, Set<String> allowed) {
    if (!(n instanceof Node.MapNode m)) {
      problem(n, path, "expected an object, but found " + n.kind());
      return null;
    }
    for (Map.Entry<String, int[]> e : m.keyPositions.entrySet()) {
      if (!allowed.contains(e.getKey())) {
        String hint = suggest(e.getKey(), allowed);
        problems.add(new Problem(source, e.getValue()[0], e.getValue()[1], join(path, e.getKey()),
            "unknown field '" + e.getKey() + "'" + (hint == null ? "" : " (did you mean '" + hint + "'?)")
                + "; expected one of " + new TreeSet<>(allowed)));
      }
    }
    return m;
  }

  @Nullable String text(@Nullable Node n, String path) {
    if (n == null) {
      return null;
    }
    if (n instanceof Node.Scalar s && s.value instanceof String str) {
      return str;
    }
    problem(n, path, "expected text, but found " + n.kind());
    return null;
  }

  /** {@code true} or {@code false}, nothing else ({@code "yes"}, {@code 1} and text are mistakes). */
  @Nullable Boolean bool(@Nullable Node n, String path) {
    if (n == null) {
      return null;
    }
    if (n instanceof Node.Scalar s && s.value instanceof Boolean b) {
      return b;
    }
    problem(n, path, "expected true or false, but found " + describe(n));
    return null;
  }

  /** A positive whole number that fits a long. */
  @Nullable Long positive(@Nullable Node n, String path) {
    return whole(n, path, 1);
  }

  /**
   * A whole number of at least {@code min} that fits a long; infinities, NaN, fractions and
   * numbers beyond {@link Long#MAX_VALUE} are located problems.
   */
  @Nullable Long whole(@Nullable Node n, String path, long min) {
    if (n == null) {
      return null;
    }
    String expected = min > 0 ? "a positive whole number" : "a whole number of " + min + " or more";
    if (!(n instanceof Node.Scalar s && s.value instanceof Number num)) {
      problem(n, path, "expected " + expected + ", but found " + n.kind());
      return null;
    }
    BigDecimal d = decimal(num);
    if (d == null) {
      problem(n, path, "expected " + expected + ", but found " + num + " (a number too large to represent)");
      return null;
    }
    if (d.compareTo(BigDecimal.valueOf(min)) < 0) {
      problem(n, path, "expected " + expected + ", but found " + num);
      return null;
    }
    // compare before stripping: both are cheap on any scale
    if (d.compareTo(LONG_MAX) > 0 || d.stripTrailingZeros().scale() > 0) {
      problem(n, path, "expected a whole number up to " + Long.MAX_VALUE + ", but found " + num);
      return null;
    }
    return d.longValueExact();
  }

  /** The exact value of a parsed number, or {@code null} for infinities and NaN. */
  static @Nullable BigDecimal decimal(Number n) {
    if (n instanceof BigDecimal d) {
      return d;
    }
    if (n instanceof BigInteger i) {
      return new BigDecimal(i);
    }
    if (n instanceof Double || n instanceof Float) {
      double v = n.doubleValue();
      return Double.isFinite(v) ? new BigDecimal(Double.toString(v)) : null;
    }
    return BigDecimal.valueOf(n.longValue());
  }

  /** A value as a message shows it: text quoted, anything else by its kind or value. */
  static String describe(Node n) {
    if (n instanceof Node.Scalar s && s.value != null) {
      return s.value instanceof String str ? "'" + str + "'" : String.valueOf(s.value);
    }
    return n.kind();
  }

  /** One of an enum's constants, matched without regard to case. */
  <E extends Enum<E>> @Nullable E choice(@Nullable Node n, String path, Class<E> type) {
    return choice(n, path, type, e -> e.name().toLowerCase(Locale.ROOT));
  }

  /** One of an enum's constants by the name {@code name} gives it, matched without regard to case. */
  <E extends Enum<E>> @Nullable E choice(@Nullable Node n, String path, Class<E> type, Function<E, String> name) {
    String t = text(n, path);
    if (t == null || n == null) {
      return null;
    }
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      if (name.apply(e).equalsIgnoreCase(t.trim())) {
        return e;
      }
      names.add(name.apply(e));
    }
    problem(n, path, "expected one of " + names + ", but found '" + t + "'");
    return null;
  }

  /** "10s", "500ms", "2m", "1h", "1d", or a unit word: second, minute, hour, day. */
  @Nullable Duration duration(@Nullable Node n, String path) {
    String t = text(n, path);
    if (t == null || n == null) {
      return null;
    }
    Duration d = parseDuration(t);
    if (d == null || d.isZero()) {
      problem(n, path, "expected a positive duration such as 500ms, 10s, 5m, 1h, 1d (or second, minute, hour, day), but found '" + t + "'");
    }
    return d;
  }

  static @Nullable Duration parseDuration(String t) {
    String s = t.trim().toLowerCase(Locale.ROOT);
    switch (s) {
      case "second": return Duration.ofSeconds(1);
      case "minute": return Duration.ofMinutes(1);
      case "hour": return Duration.ofHours(1);
      case "day": return Duration.ofDays(1);
      default:
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
          return null;
        }
        try {
          long v = Long.parseLong(m.group(1));
          switch (m.group(2)) {
            case "ms": return Duration.ofMillis(v);
            case "s": return Duration.ofSeconds(v);
            case "m": return Duration.ofMinutes(v);
            case "h": return Duration.ofHours(v);
            default: return Duration.ofDays(v);
          }
        } catch (ArithmeticException | NumberFormatException e) {
          return null;
        }
    }
  }

  /** The closest option to a misspelt word, or {@code null} when none is close. */
  static @Nullable String suggest(String word, Iterable<String> options) {
    String best = null;
    int bestD = Integer.MAX_VALUE;
    for (String o : options) {
      int d = distance(word.toLowerCase(Locale.ROOT), o.toLowerCase(Locale.ROOT));
      if (d < bestD) {
        bestD = d;
        best = o;
      }
    }
    return bestD <= Math.max(2, word.length() / 3) ? best : null;
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int c = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + c);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
