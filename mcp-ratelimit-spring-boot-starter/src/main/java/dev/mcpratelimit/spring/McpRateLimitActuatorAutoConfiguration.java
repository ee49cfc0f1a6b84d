package dev.mcpratelimit.spring;

import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.policy.PolicyFile;
import dev.mcpratelimit.spring.internal.RateLimitActivity;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** With Actuator: the {@code ratelimit} endpoint and the {@code mcpRateLimit} health indicator. */
@AutoConfiguration(after = McpRateLimitAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.annotation.Endpoint")
@ConditionalOnBean(RateLimiter.class)
public class McpRateLimitActuatorAutoConfiguration {
  /** Instantiated by Spring. */
  public McpRateLimitActuatorAutoConfiguration() {}

  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnAvailableEndpoint
  McpRateLimitEndpoint mcpRateLimitEndpoint(RateLimiter limiter, PolicyFile policy, RateLimitActivity activity) {
    return new McpRateLimitEndpoint(limiter, policy, activity);
  }

  /** The health indicator, where spring-boot-health is present. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  @ConditionalOnEnabledHealthIndicator("mcpRateLimit")
  static class HealthConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "mcpRateLimitHealthIndicator")
    McpRateLimitHealthIndicator mcpRateLimitHealthIndicator(RateLimiter limiter, RateLimitActivity activity) {
      return new McpRateLimitHealthIndicator(limiter, activity);
    }
  }
}
