package dev.mcpratelimit.cli.internal;

import dev.mcpratelimit.internal.format.Durations;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The JSON report of {@code simulate}: the same figures as the text report, for scripts. */
public final class JsonReport {
  private JsonReport() {}

  private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

  /** @param runs one simulation, or two to compare @return the JSON document */
  public static String render(List<Simulation> runs) {
    Map<String, Object> doc = new LinkedHashMap<>();
    List<Object> list = new ArrayList<>();
    for (Simulation s : runs) {
      list.add(tree(s));
    }
    doc.put("policies", list);
    if (runs.size() == 2) {
      long differ = 0;
      for (int i = 0; i < Math.min(runs.get(0).outcomes.size(), runs.get(1).outcomes.size()); i++) {
        if (runs.get(0).outcomes.get(i).granted() != runs.get(1).outcomes.get(i).granted()) {
          differ++;
        }
      }
      doc.put("decidedDifferently", differ);
    }
    return JSON.writeValueAsString(doc) + "\n";
  }

  static Map<String, Object> tree(Simulation s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("policy", s.policyName);
    m.put("from", Fmt.time(s.start));
    m.put("to", Fmt.time(s.end));
    m.put("calls", s.calls);
    m.put("allowed", s.granted);
    m.put("waited", s.waited);
    m.put("denied", s.denied);
    m.put("shadowDenied", s.shadowTotal);
    if (s.liveKnown > 0) {
      Map<String, Object> live = new LinkedHashMap<>();
      live.put("agree", s.liveAgree);
      live.put("of", s.liveKnown);
      m.put("liveAgreement", live);
    }
    if (s.firstDenial != null) {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("at", Fmt.time(s.firstDenial.decidedAt()));
      f.put("target", s.firstDenial.event().target());
      f.put("identity", s.firstDenial.event().identityLabel());
      f.put("rule", s.firstDenial.denial().rule());
      f.put("message", s.firstDenial.denial().message());
      m.put("firstDenial", f);
    }
    List<Object> rules = new ArrayList<>();
    for (Simulation.RuleStats r : s.rules.values()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("rule", r.name);
      x.put("limit", r.describe);
      x.put("calls", r.calls);
      x.put("denied", r.denied);
      x.put("shadowDenied", r.shadowDenied);
      if (r.limit != null && !r.peakIdentity.isEmpty()) {
        x.put("peakUsage", r.peakUsage);
        x.put("limitValue", r.limit.limit());
        x.put("peakAt", Fmt.time(r.peakAt));
        x.put("peakIdentity", r.peakIdentity);
      }
      rules.add(x);
    }
    m.put("rules", rules);
    List<Object> ids = new ArrayList<>();
    for (Map.Entry<String, long[]> e : TextReport.topIdentities(s)) {
      Map<String, Object> id = new LinkedHashMap<>();
      id.put("identity", e.getKey());
      id.put("allowed", e.getValue()[0]);
      id.put("denied", e.getValue()[1]);
      ids.add(id);
    }
    m.put("identities", s.identities.size());
    m.put("mostDenied", ids);
    Map<String, Object> retry = new LinkedHashMap<>();
    long[] h = Fmt.retryHistogram(s.retryAfters);
    Map<String, Object> hist = new LinkedHashMap<>();
    for (int i = 0; i < h.length; i++) {
      hist.put(Fmt.RETRY_BUCKETS.get(i), h[i]);
    }
    retry.put("histogram", hist);
    retry.put("p50Ms", ms(Fmt.quantile(s.retryAfters, 0.5)));
    retry.put("p90Ms", ms(Fmt.quantile(s.retryAfters, 0.9)));
    retry.put("p99Ms", ms(Fmt.quantile(s.retryAfters, 0.99)));
    retry.put("maxMs", ms(Fmt.quantile(s.retryAfters, 1.0)));
    m.put("retryAfter", retry);
    return m;
  }

  private static Object ms(long nanos) {
    return nanos < 0 ? "none" : (Object) Durations.ceilMillis(nanos);
  }
}
