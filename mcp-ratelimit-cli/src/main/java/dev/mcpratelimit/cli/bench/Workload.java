package dev.mcpratelimit.cli.bench;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.trace.TraceEvent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.TreeSet;

/**
 * The calls a benchmark cycles through, each with its time: a recorded trace replayed on its own
 * timeline, or synthetic traffic — {@code users=N} users drawn from a Zipf distribution of exponent
 * {@code zipf}, spread over {@code tenants} tenants, calling the policy's named tools at random at
 * {@code rate} calls per second in all.
 */
public final class Workload {
  /** Calls generated for synthetic traffic (then cycled). */
  static final int SYNTHETIC_CALLS = 1 << 16;

  final CallContext[] calls;
  final long[] times;
  /** Time from the first call to one interval past the last, added per lap so time keeps moving forwards. */
  final long span;
  final String description;

  private Workload(CallContext[] calls, long[] times, long span, String description) {
    this.calls = calls;
    this.times = times;
    this.span = span;
    this.description = description;
  }

  /** @return e.g. {@code trace calls.jsonl (1,204 calls)} */
  public String description() {
    return description;
  }

  /**
   * @param trace a trace file
   * @return its calls, in time order
   * @throws IllegalArgumentException when it holds no call
   */
  public static Workload fromTrace(Path trace) {
    List<TraceEvent> events = new ArrayList<>(TraceEvent.read(trace));
    if (events.isEmpty()) {
      throw new IllegalArgumentException("trace " + trace + " holds no call");
    }
    events.sort(java.util.Comparator.comparingLong(TraceEvent::epochNanos));
    CallContext[] calls = new CallContext[events.size()];
    long[] times = new long[events.size()];
    for (int i = 0; i < calls.length; i++) {
      calls[i] = events.get(i).toCall();
      times[i] = events.get(i).epochNanos();
    }
    long span = times[times.length - 1] - times[0];
    span += Math.max(1_000_000, span / Math.max(1, calls.length - 1));
    return new Workload(calls, times, span, "trace " + trace.getFileName() + " (" + calls.length + " calls)");
  }

  /**
   * @param policy whose named tools are called (one tool {@code tool} when it names none)
   * @param spec {@code users=1000000,zipf=1.0[,tenants=1000][,rate=1000]}
   * @return the synthetic workload
   * @throws IllegalArgumentException naming the bad setting
   */
  public static Workload synthetic(RateLimitPolicy policy, String spec) {
    long users = 1_000_000;
    double zipf = 1.0;
    long tenants = 1000;
    double rate = 1000;
    for (String part : spec.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      int eq = part.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("--synthetic: expected name=value, but was '" + part + "'");
      }
      String k = part.substring(0, eq).strip().toLowerCase(Locale.ROOT);
      String v = part.substring(eq + 1).strip();
      try {
        switch (k) {
          case "users": users = Long.parseLong(v); break;
          case "zipf": zipf = Double.parseDouble(v); break;
          case "tenants": tenants = Long.parseLong(v); break;
          case "rate": rate = Double.parseDouble(v); break;
          default:
            throw new IllegalArgumentException("--synthetic: unknown setting '" + k + "'; expected users, zipf, tenants or rate");
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--synthetic: " + k + ": expected a number, but was '" + v + "'");
      }
    }
    if (users < 1 || users > 100_000_000) {
      throw new IllegalArgumentException("--synthetic: users must be 1..100000000, but was " + users);
    }
    if (!(zipf >= 0 && zipf <= 5)) {
      throw new IllegalArgumentException("--synthetic: zipf must be 0..5, but was " + zipf);
    }
    if (tenants < 1) {
      throw new IllegalArgumentException("--synthetic: tenants must be at least 1, but was " + tenants);
    }
    if (!(rate > 0)) {
      throw new IllegalArgumentException("--synthetic: rate must be positive, but was " + rate);
    }
    TreeSet<String> named = new TreeSet<>();
    for (Rule r : policy.rules()) {
      if (r.methods().contains(CallContext.Method.TOOLS_CALL)) {
        for (String t : r.targets()) {
          if (!t.equals(Rule.ANY) && !policy.isHidden(t)) {
            named.add(t);
          }
        }
      }
    }
    String[] tools = named.isEmpty() ? new String[] {"tool"} : named.toArray(new String[0]);
    Random rnd = new Random(42);
    ZipfSampler z = new ZipfSampler(users, zipf);
    CallContext[] calls = new CallContext[SYNTHETIC_CALLS];
    long[] times = new long[SYNTHETIC_CALLS];
    long step = Math.max(1, (long) (1e9 / rate));
    for (int i = 0; i < calls.length; i++) {
      long u = z.sample(rnd);
      calls[i] = CallContext.tool(tools[rnd.nextInt(tools.length)]).user("u" + u).tenant("t" + (u % tenants)).build();
      times[i] = 1_767_225_600_000_000_000L + i * step; // from 2026-01-01T00:00:00Z
    }
    return new Workload(calls, times, (long) calls.length * step, String.format(Locale.ROOT,
        "synthetic: %d users (Zipf %.2f), %d tenants, %.0f calls/s over %d tools", users, zipf, tenants, rate, tools.length));
  }
}
