package dev.mcpratelimit.spring;

import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.policy.PolicyFile;
import dev.mcpratelimit.spring.internal.RateLimitActivity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * {@code /actuator/ratelimit}: the rules in force, the store and its status, and denials per
 * rule since start-up. Shows rule definitions and counts, never a caller's identity or counters.
 */
@Endpoint(id = "ratelimit")
public class McpRateLimitEndpoint {
  private final RateLimiter limiter;
  private final PolicyFile policyFile;
  private final RateLimitActivity activity;

  /**
   * @param limiter the limiter
   * @param policyFile the policy loaded at start-up (its source)
   * @param activity denial counts and store status
   */
  public McpRateLimitEndpoint(RateLimiter limiter, PolicyFile policyFile, RateLimitActivity activity) {
    this.limiter = limiter;
    this.policyFile = policyFile;
    this.activity = activity;
  }

  /** @return the report */
  @ReadOperation
  public Map<String, Object> report() {
    List<Map<String, Object>> rules = new ArrayList<>();
    for (Rule r : limiter.policy().rules()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", r.name());
      m.put("targets", r.isWildcard() ? List.of("*") : List.copyOf(r.targets()));
      m.put("key", r.key().dimensions());
      m.put("limit", r.limit() == null ? null : r.limit().toString());
      m.put("mode", r.mode().name());
      rules.add(m);
    }
    Map<String, Object> store = new LinkedHashMap<>();
    store.put("type", limiter.store().getClass().getSimpleName());
    store.put("status", activity.storeFailing() ? "DOWN" : "UP");
    store.put("keys", limiter.store().keyCount());
    if (activity.lastStoreError() != null) {
      store.put("lastError", activity.lastStoreError());
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("policy", policyFile.source());
    out.put("rules", rules);
    out.put("hidden", List.copyOf(limiter.policy().hidden()));
    out.put("store", store);
    out.put("granted", activity.granted());
    out.put("denials", activity.denialsByRule());
    return out;
  }
}
