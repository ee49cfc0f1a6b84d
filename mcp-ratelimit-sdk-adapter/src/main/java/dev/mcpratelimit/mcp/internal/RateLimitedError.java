package dev.mcpratelimit.mcp.internal;

import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The rate-limited JSON-RPC error proposed by SEP-3304 (provisional): code {@value #CODE}, data
 * {@code {retryAfterMs, limit?, remaining?}} followed by the structured denial's other fields.
 */
public final class RateLimitedError {
  /** The code SEP-3304 proposes for {@code RateLimited}, inside the range MCP reserves. */
  public static final int CODE = -32023;

  private RateLimitedError() {}

  /**
   * @param d a denial
   * @return whether SEP-3304 describes it: a rate limit that says when to retry (an upstream's
   *     throttling and denials retrying cannot cure are not)
   */
  public static boolean applies(Decision.Denied d) {
    return d.reason() == DenialReason.RATE_LIMITED && d.retryAfterNanos() >= 0;
  }

  /**
   * @param d a denial for which {@link #applies} holds
   * @return the error's {@code data}: the SEP's fields first, then the structured denial's
   */
  public static Map<String, Object> data(Decision.Denied d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("retryAfterMs", Denials.retryAfterMillis(d));
    Long limit = d.limit();
    if (limit != null) {
      Long remaining = d.remaining();
      m.put("limit", limit);
      m.put("remaining", remaining == null ? 0L : Math.max(0L, remaining.longValue()));
    }
    for (Map.Entry<String, Object> e : Denials.structured(d).entrySet()) {
      m.putIfAbsent(e.getKey(), e.getValue());
    }
    m.remove("limit", null);
    return m;
  }
}
