package dev.mcpratelimit.mcp.internal;

import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.internal.format.Durations;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Renders a denial as the structured object and text an agent acts on. */
public final class Denials {
  private Denials() {}

  /**
   * The structured denial (field order as documented). The budget fields ({@code limit},
   * {@code window}, {@code remaining}, {@code resetAt}, {@code policy}, {@code ratelimit}) are
   * {@code null} when the denial is not about a budget (see {@link Decision.Denied}).
   *
   * @param d the denial
   * @return the structured denial
   */
  public static Map<String, Object> structured(Decision.Denied d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("error", d.reason().code());
    m.put("rule", d.rule());
    m.put("scope", d.scope());
    m.put("limit", d.limit());
    m.put("window", d.window() == null ? null : d.window().toString());
    m.put("remaining", d.remaining());
    m.put("cost", d.cost());
    Long ms = retryAfterMillis(d);
    Long s = retryAfterSeconds(d);
    m.put("retryAfterMs", ms);
    m.put("retryAfterSeconds", s);
    m.put("resetAt", d.resetAt() == null ? null : d.resetAt().toString());
    m.put("message", d.message());
    m.put("policy", policy(d));
    m.put("ratelimit", ratelimit(d, s));
    return m;
  }

  /** @return the retry time rounded up to milliseconds, or null when unknown */
  public static @Nullable Long retryAfterMillis(Decision.Denied d) {
    long n = d.retryAfterNanos();
    return n < 0 ? null : Durations.ceilMillis(n);
  }

  /** @return the retry time rounded up to seconds, or null when unknown */
  public static @Nullable Long retryAfterSeconds(Decision.Denied d) {
    long n = d.retryAfterNanos();
    return n < 0 ? null : Durations.ceilSeconds(n);
  }

  /** IETF RateLimit-Policy item: {@code "name";q=5;w=3600}. */
  public static @Nullable String policy(Decision.Denied d) {
    Long limit = d.limit();
    if (limit == null) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    sb.append(quoted(d.rule())).append(";q=").append(limit.longValue());
    Duration w = d.window();
    if (w != null) {
      sb.append(";w=").append(Math.max(1, Durations.ceilSeconds(w)));
    }
    return sb.toString();
  }

  /** IETF RateLimit item: {@code "name";r=0;t=42}. */
  public static @Nullable String ratelimit(Decision.Denied d, @Nullable Long retrySeconds) {
    Long remaining = d.remaining();
    if (remaining == null) {
      return null; // not about a budget
    }
    StringBuilder sb = new StringBuilder();
    sb.append(quoted(d.rule())).append(";r=").append(remaining.longValue());
    if (retrySeconds != null) {
      sb.append(";t=").append(retrySeconds);
    }
    return sb.toString();
  }

  private static String quoted(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  /** @return one sentence an LLM can act on, ending with what to do next */
  public static String text(Decision.Denied d) {
    String msg = d.message();
    String head;
    switch (d.reason()) {
      case RATE_LIMITED:
        head = "Rate limit exceeded: ";
        break;
      case BACKOFF:
        head = "Upstream rate limit: ";
        break;
      case STORE_UNAVAILABLE:
        head = "Rate limiting unavailable: ";
        break;
      default:
        head = "Call denied by policy: ";
    }
    StringBuilder sb = new StringBuilder(head).append(msg);
    if (!msg.endsWith(".")) {
      sb.append('.');
    }
    Long s = retryAfterSeconds(d);
    if (s != null) {
      sb.append(" Retry after ").append(s).append(" s.");
    } else if (d.reason() == DenialReason.RATE_LIMITED) {
      Long limit = d.limit();
      sb.append(limit != null && d.cost() > limit
          ? " Retrying will not help: reduce the cost of the call."
          : " Retry once another call has finished.");
    } else {
      sb.append(" Retrying the same call will not help.");
    }
    return sb.toString();
  }
}
