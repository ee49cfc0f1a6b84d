package dev.mcpratelimit.cli.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The plain-text report of {@code simulate}. */
public final class TextReport {
  private TextReport() {}

  /** Identities listed by most denials. */
  static final int TOP_IDENTITIES = 10;

  /** @param s a simulation @return its report */
  public static String render(Simulation s) {
    StringBuilder sb = new StringBuilder();
    sb.append("Policy ").append(s.policyName).append(": ").append(s.calls).append(" calls from ")
        .append(Fmt.time(s.start)).append(" to ").append(Fmt.time(s.end)).append(" (")
        .append(Fmt.duration(s.end - s.start)).append(")\n");
    sb.append("  allowed ").append(s.granted).append(" (").append(s.waited).append(" after waiting), denied ")
        .append(s.denied).append(" (").append(Fmt.percent(s.denied, s.calls)).append(")");
    if (s.shadowTotal > 0) {
      sb.append(", shadow rules would have denied ").append(s.shadowTotal);
    }
    sb.append('\n');
    if (s.firstDenial != null) {
      Simulation.Outcome f = s.firstDenial;
      sb.append("  first denial: ").append(Fmt.time(f.decidedAt())).append(' ').append(f.event().target()).append(' ')
          .append(f.event().identityLabel()).append(" by '").append(f.denial().rule()).append("': ")
          .append(f.denial().message()).append('\n');
    } else {
      sb.append("  no call was denied\n");
    }
    if (s.liveKnown > 0) {
      sb.append("  agrees with the recorded live decisions on ").append(s.liveAgree).append(" of ").append(s.liveKnown)
          .append(" calls\n");
    }
    sb.append('\n');

    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"RULE", "LIMIT", "CALLS", "DENIED", "SHADOW", "PEAK USE", "OF LIMIT", "PEAK AT", "BY"});
    for (Simulation.RuleStats r : s.rules.values()) {
      boolean limited = r.limit != null;
      rows.add(new String[] {r.name, r.describe, Long.toString(r.calls), Long.toString(r.denied),
          Long.toString(r.shadowDenied),
          limited && !r.peakIdentity.isEmpty() ? Long.toString(r.peakUsage) : "-",
          limited && !r.peakIdentity.isEmpty() ? Fmt.percent(r.peakUsage, r.limit.limit()) : "-",
          limited && !r.peakIdentity.isEmpty() ? Fmt.time(r.peakAt) : "-",
          limited && !r.peakIdentity.isEmpty() ? r.peakIdentity : "-"});
    }
    sb.append(Fmt.table(rows, new boolean[] {false, false, true, true, true, true, true, false, false}));
    sb.append('\n');

    rows = new ArrayList<>();
    rows.add(new String[] {"IDENTITY", "ALLOWED", "DENIED"});
    for (Map.Entry<String, long[]> e : topIdentities(s)) {
      rows.add(new String[] {e.getKey(), Long.toString(e.getValue()[0]), Long.toString(e.getValue()[1])});
    }
    sb.append("By identity (most denied first, at most ").append(TOP_IDENTITIES).append(" of ")
        .append(s.identities.size()).append("):\n");
    sb.append(Fmt.table(rows, new boolean[] {false, true, true}));
    sb.append('\n');

    sb.append("Retry-after of the ").append(s.denied).append(" denials:\n");
    long[] h = Fmt.retryHistogram(s.retryAfters);
    long max = 1;
    for (long c : h) {
      max = Math.max(max, c);
    }
    rows = new ArrayList<>();
    for (int i = 0; i < h.length; i++) {
      rows.add(new String[] {"  " + Fmt.RETRY_BUCKETS.get(i), Long.toString(h[i]), "#".repeat((int) Math.ceil(40.0 * h[i] / max))});
    }
    sb.append(Fmt.table(rows, new boolean[] {false, true, false}));
    sb.append("  p50 ").append(Fmt.duration(Fmt.quantile(s.retryAfters, 0.5))).append(", p90 ")
        .append(Fmt.duration(Fmt.quantile(s.retryAfters, 0.9))).append(", p99 ")
        .append(Fmt.duration(Fmt.quantile(s.retryAfters, 0.99))).append(", max ")
        .append(Fmt.duration(Fmt.quantile(s.retryAfters, 1.0))).append('\n');
    return sb.toString();
  }

  /** @param a the first policy's run @param b the second's, on the same trace @return both, compared */
  public static String compare(Simulation a, Simulation b) {
    StringBuilder sb = new StringBuilder();
    sb.append("Compared on the same ").append(a.calls).append(" calls:\n");
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"", a.policyName, b.policyName});
    rows.add(new String[] {"allowed", Long.toString(a.granted), Long.toString(b.granted)});
    rows.add(new String[] {"after waiting", Long.toString(a.waited), Long.toString(b.waited)});
    rows.add(new String[] {"denied", a.denied + " (" + Fmt.percent(a.denied, a.calls) + ")",
        b.denied + " (" + Fmt.percent(b.denied, b.calls) + ")"});
    rows.add(new String[] {"first denial", first(a), first(b)});
    rows.add(new String[] {"identities denied", Long.toString(deniedIdentities(a)), Long.toString(deniedIdentities(b))});
    rows.add(new String[] {"retry-after p90", Fmt.duration(Fmt.quantile(a.retryAfters, 0.9)),
        Fmt.duration(Fmt.quantile(b.retryAfters, 0.9))});
    long differ = 0;
    for (int i = 0; i < Math.min(a.outcomes.size(), b.outcomes.size()); i++) {
      if (a.outcomes.get(i).granted() != b.outcomes.get(i).granted()) {
        differ++;
      }
    }
    sb.append(Fmt.table(rows, new boolean[] {false, true, true}));
    sb.append("  ").append(differ).append(" calls decided differently\n\n");
    sb.append("== ").append(a.policyName).append('\n').append(render(a)).append('\n');
    sb.append("== ").append(b.policyName).append('\n').append(render(b));
    return sb.toString();
  }

  static String first(Simulation s) {
    return s.firstDenial == null ? "none" : Fmt.time(s.firstDenial.decidedAt()) + " '" + s.firstDenial.denial().rule() + "'";
  }

  static long deniedIdentities(Simulation s) {
    long n = 0;
    for (long[] v : s.identities.values()) {
      if (v[1] > 0) {
        n++;
      }
    }
    return n;
  }

  static List<Map.Entry<String, long[]>> topIdentities(Simulation s) {
    List<Map.Entry<String, long[]>> l = new ArrayList<>(s.identities.entrySet());
    l.sort((x, y) -> {
      int c = Long.compare(y.getValue()[1], x.getValue()[1]);
      if (c == 0) {
        c = Long.compare(y.getValue()[0], x.getValue()[0]);
      }
      return c != 0 ? c : x.getKey().compareTo(y.getKey());
    });
    return l.subList(0, Math.min(TOP_IDENTITIES, l.size()));
  }
}
