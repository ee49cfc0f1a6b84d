package dev.mcpratelimit.cli.internal;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The HTML report of {@code simulate}: one self-contained page (inline CSS and SVG, no scripts, no
 * external assets) with, per policy, the summary, each rule's usage against its limit over time,
 * the identities and the retry-after distribution; two policies side by side with
 * {@code --compare}.
 */
public final class HtmlReport {
  private HtmlReport() {}

  static final int W = 560;
  static final int H = 150;
  static final int PAD_L = 48;
  static final int PAD_B = 22;

  /** @param runs one simulation, or two to compare @return the page */
  public static String render(List<Simulation> runs) {
    StringBuilder sb = new StringBuilder();
    sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>mcp-ratelimit simulation</title>\n");
    sb.append("<style>\n")
        .append("body{font:14px/1.4 system-ui,sans-serif;margin:16px;color:#1b1f24;background:#fff}\n")
        .append("h1{font-size:20px;margin:0 0 12px}h2{font-size:17px;margin:4px 0 8px}h3{font-size:14px;margin:14px 0 2px}\n")
        .append(".cols{display:flex;gap:24px;align-items:flex-start}.col{flex:1;min-width:0}\n")
        .append("table{border-collapse:collapse;margin:4px 0 10px}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}\n")
        .append("td.n,th.n{text-align:right}.muted{color:#666}.deny{color:#b42318}\n")
        .append("svg{display:block;background:#fafbfc;border:1px solid #e3e6ea}\n")
        .append("</style></head><body>\n");
    sb.append("<h1>mcp-ratelimit simulation</h1>\n");
    sb.append("<p class=muted>Each chart: <span style=\"color:#2b6cb0\">blue</span> the highest usage of the rule (any key) in each of ")
        .append(Simulation.BUCKETS).append(" time slices, <span class=deny>dashed red</span> its limit, red ticks the calls it denied.</p>\n");
    if (runs.size() == 2) {
      Simulation a = runs.get(0);
      Simulation b = runs.get(1);
      sb.append("<table><tr><th></th><th class=n>").append(esc(a.policyName)).append("</th><th class=n>")
          .append(esc(b.policyName)).append("</th></tr>\n");
      row(sb, "allowed", a.granted, b.granted);
      row(sb, "after waiting", a.waited, b.waited);
      row(sb, "denied", a.denied, b.denied);
      row(sb, "identities denied", TextReport.deniedIdentities(a), TextReport.deniedIdentities(b));
      sb.append("<tr><td>first denial</td><td class=n>").append(esc(TextReport.first(a))).append("</td><td class=n>")
          .append(esc(TextReport.first(b))).append("</td></tr></table>\n");
    }
    sb.append("<div class=cols>\n");
    for (Simulation s : runs) {
      sb.append("<div class=col>\n");
      policy(sb, s);
      sb.append("</div>\n");
    }
    sb.append("</div>\n</body></html>\n");
    return sb.toString();
  }

  private static void row(StringBuilder sb, String label, long a, long b) {
    sb.append("<tr><td>").append(label).append("</td><td class=n>").append(a).append("</td><td class=n>").append(b)
        .append("</td></tr>\n");
  }

  private static void policy(StringBuilder sb, Simulation s) {
    sb.append("<h2>").append(esc(s.policyName)).append("</h2>\n<p>").append(s.calls).append(" calls, ")
        .append(esc(Fmt.time(s.start))).append(" to ").append(esc(Fmt.time(s.end))).append(" (")
        .append(esc(Fmt.duration(s.end - s.start))).append(")<br>allowed <b>").append(s.granted).append("</b> (")
        .append(s.waited).append(" after waiting), denied <b class=deny>").append(s.denied).append("</b> (")
        .append(Fmt.percent(s.denied, s.calls)).append(")");
    if (s.firstDenial != null) {
      sb.append("<br>first denial ").append(esc(Fmt.time(s.firstDenial.decidedAt()))).append(": ")
          .append(esc(s.firstDenial.event().target())).append(", ").append(esc(s.firstDenial.event().identityLabel()))
          .append(", rule '").append(esc(s.firstDenial.denial().rule())).append("'");
    }
    sb.append("</p>\n");
    for (Simulation.RuleStats r : s.rules.values()) {
      sb.append("<h3>").append(esc(r.name)).append(" <span class=muted>").append(esc(r.describe)).append(" · ")
          .append(r.calls).append(" calls, ").append(r.denied).append(" denied");
      if (r.shadowDenied > 0) {
        sb.append(", ").append(r.shadowDenied).append(" shadow");
      }
      sb.append("</span></h3>\n");
      if (r.limit != null) {
        chart(sb, s, r);
      }
    }
    sb.append("<h3>Most denied identities</h3>\n<table><tr><th>identity</th><th class=n>allowed</th><th class=n>denied</th></tr>\n");
    for (Map.Entry<String, long[]> e : TextReport.topIdentities(s)) {
      sb.append("<tr><td>").append(esc(e.getKey())).append("</td><td class=n>").append(e.getValue()[0])
          .append("</td><td class=n>").append(e.getValue()[1]).append("</td></tr>\n");
    }
    sb.append("</table>\n<h3>Retry-after of the denials</h3>\n<table>\n");
    long[] h = Fmt.retryHistogram(s.retryAfters);
    long max = 1;
    for (long c : h) {
      max = Math.max(max, c);
    }
    for (int i = 0; i < h.length; i++) {
      sb.append("<tr><td>").append(esc(Fmt.RETRY_BUCKETS.get(i))).append("</td><td class=n>").append(h[i])
          .append("</td><td><svg width=\"200\" height=\"10\" style=\"border:0;background:none\"><rect width=\"")
          .append(Math.round(200.0 * h[i] / max)).append("\" height=\"10\" fill=\"#d1495b\"/></svg></td></tr>\n");
    }
    sb.append("</table>\n<p class=muted>p50 ").append(Fmt.duration(Fmt.quantile(s.retryAfters, 0.5))).append(", p90 ")
        .append(Fmt.duration(Fmt.quantile(s.retryAfters, 0.9))).append(", max ")
        .append(Fmt.duration(Fmt.quantile(s.retryAfters, 1.0))).append("</p>\n");
  }

  /** Usage (highest per time bucket) as a line, the limit as a dashed line, denials as red ticks. */
  private static void chart(StringBuilder sb, Simulation s, Simulation.RuleStats r) {
    long limit = r.limit.limit();
    long top = Math.max(limit, r.peakUsage);
    top = Math.max(1, top + Math.max(1, top / 10));
    int plotW = W - PAD_L - 8;
    int plotH = H - PAD_B - 8;
    sb.append("<svg width=\"").append(W).append("\" height=\"").append(H).append("\" viewBox=\"0 0 ").append(W).append(' ')
        .append(H).append("\" role=\"img\" aria-label=\"usage of ").append(esc(r.name)).append(" against its limit\">\n");
    double yLimit = y(limit, top, plotH);
    sb.append("<line x1=\"").append(PAD_L).append("\" x2=\"").append(W - 8).append("\" y1=\"").append(f(yLimit))
        .append("\" y2=\"").append(f(yLimit)).append("\" stroke=\"#b42318\" stroke-dasharray=\"5 4\"/>\n");
    sb.append("<text x=\"").append(PAD_L - 4).append("\" y=\"").append(f(yLimit + 4))
        .append("\" font-size=\"11\" text-anchor=\"end\" fill=\"#b42318\">").append(limit).append("</text>\n");
    sb.append("<text x=\"").append(PAD_L - 4).append("\" y=\"").append(f(y(0, top, plotH) + 4))
        .append("\" font-size=\"11\" text-anchor=\"end\" fill=\"#666\">0</text>\n");
    sb.append("<line x1=\"").append(PAD_L).append("\" x2=\"").append(W - 8).append("\" y1=\"").append(f(y(0, top, plotH)))
        .append("\" y2=\"").append(f(y(0, top, plotH))).append("\" stroke=\"#999\"/>\n");
    StringBuilder pts = new StringBuilder();
    long maxDenied = 1;
    for (long d : r.deniedSeries) {
      maxDenied = Math.max(maxDenied, d);
    }
    for (int b = 0; b < Simulation.BUCKETS; b++) {
      double x = PAD_L + (b + 0.5) * plotW / Simulation.BUCKETS;
      if (r.series[b] >= 0) {
        pts.append(pts.length() == 0 ? "" : " ").append(f(x)).append(',').append(f(y(r.series[b], top, plotH)));
      }
      if (r.deniedSeries[b] > 0) {
        double hgt = 4 + 14.0 * r.deniedSeries[b] / maxDenied;
        sb.append("<rect x=\"").append(f(x - 1.5)).append("\" y=\"").append(f(y(0, top, plotH) - hgt)).append("\" width=\"3\" height=\"")
            .append(f(hgt)).append("\" fill=\"#d1495b\" opacity=\"0.8\"><title>").append(r.deniedSeries[b])
            .append(" denied</title></rect>\n");
      }
    }
    if (pts.length() > 0) {
      sb.append("<polyline fill=\"none\" stroke=\"#2b6cb0\" stroke-width=\"1.8\" points=\"").append(pts).append("\"/>\n");
      String[] one = pts.toString().split(" ");
      if (one.length == 1) {
        String[] xy = one[0].split(",");
        sb.append("<circle cx=\"").append(xy[0]).append("\" cy=\"").append(xy[1]).append("\" r=\"3\" fill=\"#2b6cb0\"/>\n");
      }
    }
    sb.append("<text x=\"").append(PAD_L).append("\" y=\"").append(H - 6).append("\" font-size=\"11\" fill=\"#666\">")
        .append(esc(Fmt.time(s.start))).append("</text>\n");
    sb.append("<text x=\"").append(W - 8).append("\" y=\"").append(H - 6)
        .append("\" font-size=\"11\" text-anchor=\"end\" fill=\"#666\">").append(esc(Fmt.time(s.end))).append("</text>\n");
    sb.append("</svg>\n");
  }

  private static double y(long v, long top, int plotH) {
    return 8 + plotH - (double) v * plotH / top;
  }

  private static String f(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<': b.append("&lt;"); break;
        case '>': b.append("&gt;"); break;
        case '&': b.append("&amp;"); break;
        case '"': b.append("&quot;"); break;
        case '\'': b.append("&#39;"); break;
        default: b.append(c);
      }
    }
    return b.toString();
  }
}
