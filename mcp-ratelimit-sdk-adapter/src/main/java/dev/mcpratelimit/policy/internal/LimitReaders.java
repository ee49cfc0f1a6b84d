package dev.mcpratelimit.policy.internal;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.WindowUnit;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** The reader of each limit kind, by the rule field that holds it. */
final class LimitReaders {
  /** Rule field → its reader, in the order messages list them. */
  static final Map<String, LimitReader> BY_FIELD;

  static {
    Map<String, LimitReader> m = new LinkedHashMap<>();
    m.put("rateLimit", new CalendarRate());
    m.put("tokenBucket", new TokenBucket());
    m.put("slidingWindow", new SlidingWindow());
    m.put("quota", new Quota());
    m.put("concurrency", new Concurrency());
    BY_FIELD = java.util.Collections.unmodifiableMap(m);
  }

  private LimitReaders() {}

  static @Nullable WindowUnit calendarUnit(String unit) {
    switch (unit.trim().toLowerCase(Locale.ROOT)) {
      case "minute": return WindowUnit.MINUTE;
      case "hour": return WindowUnit.HOUR;
      case "day": return WindowUnit.DAY;
      default: return null;
    }
  }

  /** {@code rateLimit: 5/hour}: a calendar window in UTC. */
  static final class CalendarRate implements LimitReader {
    @Override
    public @Nullable Limit read(Reading r, Node.MapNode rule, Node v, String path) {
      Rate rate = Rate.read(r, v, path, "N/minute, N/hour or N/day");
      if (rate == null) {
        return null;
      }
      WindowUnit u = calendarUnit(rate.unit());
      if (u == null) {
        r.problem(v, path, "rateLimit is a calendar window: expected N/minute, N/hour or N/day, but found '"
            + rate + "' (use slidingWindow or tokenBucket for other periods)");
        return null;
      }
      return LimitReader.spec(r, v, path, () -> LimitSpec.calendarWindow(rate.count(), u), null);
    }
  }

  /** {@code slidingWindow: 100/10m}, estimated or, with {@code exact: true}, exact. */
  static final class SlidingWindow implements LimitReader {
    @Override
    public @Nullable Limit read(Reading r, Node.MapNode rule, Node v, String path) {
      Rate rate = Rate.read(r, v, path, "N/duration such as 100/10m");
      String rulePath = path.substring(0, path.length() - ".slidingWindow".length());
      Boolean exact = r.bool(rule.entries.get("exact"), rulePath + ".exact");
      if (rate == null) {
        return null;
      }
      Duration d = rate.period();
      if (d == null) {
        r.problem(v, path, "expected N/duration such as 100/10m, but found a bad duration '" + rate.unit() + "'");
        return null;
      }
      return LimitReader.spec(r, v, path, () -> Boolean.TRUE.equals(exact)
          ? LimitSpec.exactSlidingWindow(rate.count(), d) : LimitSpec.slidingWindow(rate.count(), d), null);
    }
  }

  /** {@code tokenBucket: {capacity: 10, refill: 5/second}}. */
  static final class TokenBucket implements LimitReader {
    private static final Set<String> FIELDS = Set.of("capacity", "refill");

    @Override
    public @Nullable Limit read(Reading r, Node.MapNode rule, Node v, String path) {
      Node.MapNode tb = r.map(v, path, FIELDS);
      if (tb == null) {
        return null;
      }
      Long capacity = r.positive(tb.entries.get("capacity"), path + ".capacity");
      Rate refill = Rate.read(r, tb.entries.get("refill"), path + ".refill", "N/unit such as 5/second or 10/1m");
      if (!tb.entries.containsKey("capacity")) {
        r.problem(v, path, "tokenBucket needs a capacity");
      }
      if (!tb.entries.containsKey("refill")) {
        r.problem(v, path, "tokenBucket needs a refill such as 5/second");
      }
      if (capacity == null || refill == null) {
        return null;
      }
      Duration d = refill.period();
      if (d == null) {
        r.problem(tb.entries.get("refill"), path + ".refill",
            "expected N/unit such as 5/second or 10/1m, but found a bad period '" + refill.unit() + "'");
        return null;
      }
      return LimitReader.spec(r, v, path, () -> LimitSpec.tokenBucket(capacity, refill.count(), d), null);
    }
  }

  /** {@code quota: {limit: 1000000, window: day, incrementFrom: args.amount}}: a weighted calendar window. */
  static final class Quota implements LimitReader {
    private static final Set<String> FIELDS = Set.of("limit", "window", "increment", "incrementFrom");

    @Override
    public @Nullable Limit read(Reading r, Node.MapNode rule, Node v, String path) {
      Node.MapNode q = r.map(v, path, FIELDS);
      if (q == null) {
        return null;
      }
      Long limit = r.positive(q.entries.get("limit"), path + ".limit");
      if (!q.entries.containsKey("limit")) {
        r.problem(v, path, "quota needs a limit");
      }
      Node w = q.entries.get("window");
      WindowUnit unit = null;
      if (w == null) {
        r.problem(v, path, "quota needs a window: minute, hour or day");
      } else {
        String wt = r.text(w, path + ".window");
        if (wt != null) {
          unit = calendarUnit(wt);
          if (unit == null) {
            r.problem(w, path + ".window", "expected minute, hour or day, but found '" + wt + "'");
          }
        }
      }
      CostReader.Read cost = null;
      if (q.entries.containsKey("increment") && q.entries.containsKey("incrementFrom")) {
        r.problem(q.entries.get("incrementFrom"), path + ".incrementFrom", "use either increment or incrementFrom, not both");
      } else if (q.entries.containsKey("increment")) {
        Long inc = r.positive(q.entries.get("increment"), path + ".increment");
        cost = inc == null ? null : CostReader.Read.of(inc);
      } else if (q.entries.containsKey("incrementFrom")) {
        cost = CostReader.fromArgument(r, q.entries.get("incrementFrom"), path + ".incrementFrom");
      }
      if (limit == null || unit == null) {
        return null;
      }
      WindowUnit u = unit;
      return LimitReader.spec(r, v, path, () -> LimitSpec.calendarWindow(limit, u), cost);
    }
  }

  /** {@code concurrency: 2}: calls in flight at once. */
  static final class Concurrency implements LimitReader {
    @Override
    public @Nullable Limit read(Reading r, Node.MapNode rule, Node v, String path) {
      Long c = r.positive(v, path);
      return c == null ? null : LimitReader.spec(r, v, path, () -> LimitSpec.concurrency(c), null);
    }
  }
}
