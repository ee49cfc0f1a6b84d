package dev.mcpratelimit.micrometer;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimitListener;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.spi.LimiterStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Micrometer metrics for a {@link dev.mcpratelimit.RateLimiter}: a {@link RateLimitListener} to
 * register on the limiter and a {@link MeterBinder} to bind to a registry.
 *
 * <pre>{@code
 * RateLimitMetrics metrics = RateLimitMetrics.of(policy, store);
 * RateLimiter limiter = RateLimiter.builder(policy).store(store).listener(metrics).build();
 * metrics.bindTo(registry);
 * }</pre>
 *
 * <p>Tags stay bounded whatever callers do: never user, tenant or key values; the {@code tool}
 * tag is the call's target only when the policy names it (or it is in the extra allow-list),
 * otherwise {@value #OTHER}, because callers choose the target and could otherwise mint a tag
 * value per request. Meters are created once per tag combination and cached. Thread-safe.
 */
public final class RateLimitMetrics implements MeterBinder, RateLimitListener {
  /** Tag value for tools outside the allow-list, and rule of grants (which pass every rule). */
  public static final String OTHER = "other";
  /** The {@code rule} tag of a grant: it passed all applicable rules. */
  public static final String ALL_RULES = "*";

  private final Supplier<RateLimitPolicy> policy;
  private final Set<String> extraTools;
  private final LimiterStore store;
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
  private volatile MeterRegistry registry;
  private Timer waitTimer;
  private DistributionSummary retryAfter;

  private RateLimitMetrics(Supplier<RateLimitPolicy> policy, LimiterStore store, Set<String> extraTools) {
    this.policy = policy;
    this.store = store;
    this.extraTools = Set.copyOf(extraTools);
  }

  /**
   * @param policy the policy whose named tools may appear as {@code tool} tags
   * @param store the store whose key count the gauge reports
   * @return metrics to register as a listener and bind to a registry
   */
  public static RateLimitMetrics of(RateLimitPolicy policy, LimiterStore store) {
    Objects.requireNonNull(policy, "policy");
    return new RateLimitMetrics(() -> policy, Objects.requireNonNull(store, "store"), Set.of());
  }

  /**
   * @param policy the current policy (re-read, so reloads are followed)
   * @param store the store
   * @param extraTools further tool names allowed as tag values
   * @return metrics
   */
  public static RateLimitMetrics of(Supplier<RateLimitPolicy> policy, LimiterStore store, Set<String> extraTools) {
    return new RateLimitMetrics(Objects.requireNonNull(policy, "policy"), Objects.requireNonNull(store, "store"), extraTools);
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    this.waitTimer = Timer.builder("mcp.ratelimit.wait").description("Time calls waited for capacity instead of being denied")
        .register(registry);
    this.retryAfter = DistributionSummary.builder("mcp.ratelimit.retry.after").baseUnit("seconds")
        .description("Retry-after given with denials").register(registry);
    Gauge.builder("mcp.ratelimit.keys", store, s -> s.keyCount()).description("Keys held by the store").register(registry);
    this.registry = registry;
  }

  private String tool(CallContext call) {
    String t = call.target();
    if (extraTools.contains(t)) {
      return t;
    }
    RateLimitPolicy p = policy.get();
    if (p.names(call.method(), t) || p.isHidden(t)) {
      return t;
    }
    return OTHER;
  }

  /** Rule names come from the policy, so they are bounded; fixed labels cover the rest. */
  private String rule(String name) {
    for (Rule r : policy.get().rules()) {
      if (r.name().equals(name)) {
        return name;
      }
    }
    return switch (name) {
      case "hidden", "default", "backoff", "store", "upstream" -> name;
      default -> OTHER;
    };
  }

  private Counter counter(String name, String description, String... tags) {
    MeterRegistry r = registry;
    StringBuilder key = new StringBuilder(name);
    for (String t : tags) {
      key.append('\u0000').append(t);
    }
    return counters.computeIfAbsent(key.toString(),
        k -> Counter.builder(name).description(description).tags(tags).register(r));
  }

  private void decision(CallContext call, String rule, String outcome, String reason) {
    if (registry == null) {
      return;
    }
    counter("mcp.ratelimit.decisions", "Rate-limit decisions", "tool", tool(call), "rule", rule, "outcome", outcome,
        "reason", reason).increment();
  }

  @Override
  public void onGranted(CallContext call, Decision.Granted decision) {
    decision(call, ALL_RULES, "granted", "none");
  }

  @Override
  public void onDenied(CallContext call, Decision.Denied denial) {
    decision(call, rule(denial.rule()), "denied", denial.reason().code());
    if (registry != null && denial.retryAfterNanos() >= 0) {
      retryAfter.record(denial.retryAfterNanos() / 1e9);
    }
  }

  @Override
  public void onShadowDenied(CallContext call, Decision.Denied wouldBe) {
    decision(call, rule(wouldBe.rule()), "shadow_denied", wouldBe.reason().code());
  }

  @Override
  public void onWaited(CallContext call, long waitedNanos) {
    decision(call, ALL_RULES, "waited", "none");
    if (registry != null) {
      waitTimer.record(waitedNanos, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void onEvicted(String rule) {
    if (registry != null) {
      counter("mcp.ratelimit.evictions", "Keys dropped while still holding state", "rule", rule(rule)).increment();
    }
  }

  @Override
  public void onStoreError(Throwable error) {
    if (registry != null) {
      counter("mcp.ratelimit.store.errors", "Store failures", "exception", error.getClass().getSimpleName()).increment();
    }
  }
}
