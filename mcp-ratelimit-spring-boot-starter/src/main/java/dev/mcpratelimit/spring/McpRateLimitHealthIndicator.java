package dev.mcpratelimit.spring;

import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.spring.internal.RateLimitActivity;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Health of the rate-limit store, judged by real traffic: down when the store failed more
 * recently than a decision succeeded (the policy's failure mode then decides calls), up otherwise.
 * Never sends a probe of its own.
 */
public class McpRateLimitHealthIndicator implements HealthIndicator {
  private final RateLimiter limiter;
  private final RateLimitActivity activity;

  /**
   * @param limiter the limiter
   * @param activity the store status
   */
  public McpRateLimitHealthIndicator(RateLimiter limiter, RateLimitActivity activity) {
    this.limiter = limiter;
    this.activity = activity;
  }

  @Override
  public Health health() {
    Health.Builder b = activity.storeFailing() ? Health.down() : Health.up();
    b.withDetail("store", limiter.store().getClass().getSimpleName())
        .withDetail("failureMode", limiter.policy().failureMode().name());
    if (activity.lastStoreError() != null) {
      b.withDetail("lastError", activity.lastStoreError());
    }
    return b.build();
  }
}
