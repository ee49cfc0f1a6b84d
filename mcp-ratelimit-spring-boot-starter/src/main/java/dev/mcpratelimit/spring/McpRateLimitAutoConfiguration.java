package dev.mcpratelimit.spring;

import dev.mcpratelimit.Clock;
import dev.mcpratelimit.RateLimitListener;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.mcp.McpRateLimiting;
import dev.mcpratelimit.micrometer.RateLimitMetrics;
import dev.mcpratelimit.policy.PolicyFile;
import dev.mcpratelimit.policy.PolicyReloader;
import dev.mcpratelimit.jdbc.JdbcLimiterStore;
import dev.mcpratelimit.redis.RedisLimiterStore;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.spring.internal.PolicyResources;
import dev.mcpratelimit.spring.internal.RateLimitActivity;
import dev.mcpratelimit.spring.internal.SpecificationPostProcessor;
import dev.mcpratelimit.spring.internal.ToolFilterCustomizers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.cluster.RedisClusterClient;
import io.modelcontextprotocol.server.McpServerFeatures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.ai.mcp.customizer.McpAsyncServerCustomizer;
import org.springframework.ai.mcp.customizer.McpSyncServerCustomizer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * Rate-limits every tool, resource, resource template and prompt of a Spring AI MCP server from
 * the policy at {@code mcp.ratelimit.policy}: policy, store, clock, limiter and
 * {@link McpRateLimiting} are beans, each replaced by defining one of the same type.
 */
@AutoConfiguration(afterName = {
    "org.springframework.ai.mcp.server.common.autoconfigure.McpServerAutoConfiguration",
    "org.springframework.ai.mcp.server.common.autoconfigure.McpServerStatelessAutoConfiguration",
    "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
    "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"})
@ConditionalOnClass(McpServerFeatures.class)
@ConditionalOnProperty(prefix = "mcp.ratelimit", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(McpRateLimitProperties.class)
public class McpRateLimitAutoConfiguration {
  private static final Logger LOG = LoggerFactory.getLogger(McpRateLimitAutoConfiguration.class);

  /** Instantiated by Spring. */
  public McpRateLimitAutoConfiguration() {}

  /**
   * @param limits the rate limiting, looked up lazily
   * @return the post-processor that wraps Spring AI's specification lists
   */
  @Bean
  static SpecificationPostProcessor mcpRateLimitSpecificationPostProcessor(ObjectProvider<McpRateLimiting> limits) {
    return new SpecificationPostProcessor(limits);
  }

  /** @return the system clock (define a {@link Clock} bean, e.g. a fake one in tests, to replace it) */
  @Bean
  @ConditionalOnMissingBean
  Clock mcpRateLimitClock() {
    return Clock.system();
  }

  /**
   * Loads the policy at start-up; a file with mistakes fails start-up listing each, located.
   *
   * @param props settings
   * @param loader resolves the location
   * @return the policy file
   */
  @Bean
  @ConditionalOnMissingBean
  PolicyFile mcpRateLimitPolicy(McpRateLimitProperties props, ResourceLoader loader) {
    return PolicyResources.load(loader, props.getPolicy());
  }

  /**
   * With {@code mcp.ratelimit.store=memory}, or unset: the in-memory store, except that when the
   * property is unset and the policy file has a {@code store:} section, that section's store
   * (opened through the {@code StoreProvider} on the class path; closed with the context).
   *
   * @param props settings
   * @param policy the policy file
   * @param clock the clock
   * @return the in-memory store, or the policy file's
   */
  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnProperty(prefix = "mcp.ratelimit", name = "store", havingValue = "memory", matchIfMissing = true)
  LimiterStore mcpRateLimitMemoryStore(McpRateLimitProperties props, PolicyFile policy, Clock clock) {
    if (props.getStore() == null && policy.store() != null) {
      return policy.store().open();
    }
    return LimiterStore.inMemory(1_000_000, clock);
  }

  /** @return the denial counts and store status the actuator endpoint shows */
  @Bean
  @ConditionalOnMissingBean
  RateLimitActivity mcpRateLimitActivity() {
    return new RateLimitActivity();
  }

  /**
   * Micrometer meters; Spring Boot binds this {@code MeterBinder} to the application's registry.
   *
   * @param policy the policy
   * @param store the store
   * @param limiter the limiter, read lazily so reloads are followed
   * @return the metrics
   */
  @Bean
  @ConditionalOnMissingBean
  RateLimitMetrics mcpRateLimitMetrics(PolicyFile policy, LimiterStore store, ObjectProvider<RateLimiter> limiter) {
    return RateLimitMetrics.of(() -> {
      RateLimiter l = limiter.getIfAvailable();
      return l != null ? l.policy() : policy.policy();
    }, store, Set.of());
  }

  /**
   * @param policy the policy
   * @param store the store
   * @param clock the clock
   * @param listeners every {@link RateLimitListener} bean (metrics, activity, the application's)
   * @return the limiter, logging denials and store errors
   */
  @Bean
  @ConditionalOnMissingBean
  RateLimiter mcpRateLimiter(PolicyFile policy, LimiterStore store, Clock clock, ObjectProvider<RateLimitListener> listeners) {
    RateLimiter.Builder b = RateLimiter.builder(policy.policy()).store(store).clock(clock)
        .listener(McpRateLimiting.logging(clock));
    listeners.orderedStream().forEach(b::listener);
    return b.build();
  }

  /**
   * @param limiter the limiter
   * @param policy the policy (its {@code defaults.denial} mode)
   * @return the MCP middleware the post-processor applies
   */
  @Bean
  @ConditionalOnMissingBean
  McpRateLimiting mcpRateLimiting(RateLimiter limiter, PolicyFile policy) {
    return McpRateLimiting.builder(limiter).denialMode(policy.denialMode()).build();
  }

  /**
   * Reloads a policy file that lives on the file system when it changes: its rules and its
   * {@code defaults.denial} mode.
   *
   * @param props settings
   * @param loader resolves the location
   * @param limits the MCP rate limiting (and through it the limiter) the file is applied to
   * @return the reloader (closed with the context), or a no-op holder
   * @throws IOException if the directory cannot be watched
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnProperty(prefix = "mcp.ratelimit", name = "reload", havingValue = "true", matchIfMissing = true)
  @Conditional(PolicyOnFileSystem.class)
  PolicyReloader mcpRateLimitPolicyReloader(McpRateLimitProperties props, ResourceLoader loader, McpRateLimiting limits)
      throws IOException {
    Path file = PolicyResources.file(loader, props.getPolicy());
    PolicyReloader r = new PolicyReloader(limits, file == null ? Path.of(props.getPolicy()) : file,
        e -> LOG.warn("Rate-limit policy {} not reloaded, the running one stays: {}", props.getPolicy(), e.getMessage()));
    return r.watch();
  }

  /** True when {@code mcp.ratelimit.policy} resolves to a file on the file system. */
  static final class PolicyOnFileSystem implements Condition {
    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
      String location = context.getEnvironment().getProperty("mcp.ratelimit.policy", "classpath:mcp-ratelimit.yaml");
      return PolicyResources.file(context.getResourceLoader(), location) != null;
    }
  }

  /** The hidden-tool filter for servers without a customizer bean (SDK 2.1+); others' customizers are decorated. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = {"io.modelcontextprotocol.server.McpSyncListFilter",
      "org.springframework.ai.mcp.customizer.McpSyncServerCustomizer"})
  static class ToolFilters {
    @Bean
    @ConditionalOnMissingBean(McpSyncServerCustomizer.class)
    @ConditionalOnProperty(prefix = "spring.ai.mcp.server", name = "type", havingValue = "SYNC", matchIfMissing = true)
    McpSyncServerCustomizer mcpRateLimitToolFilterCustomizer(ObjectProvider<McpRateLimiting> limits) {
      return ToolFilterCustomizers.sync(limits);
    }

    @Bean
    @ConditionalOnMissingBean(McpAsyncServerCustomizer.class)
    @ConditionalOnProperty(prefix = "spring.ai.mcp.server", name = "type", havingValue = "ASYNC")
    McpAsyncServerCustomizer mcpRateLimitAsyncToolFilterCustomizer(ObjectProvider<McpRateLimiting> limits) {
      return ToolFilterCustomizers.async(limits);
    }
  }

  /** {@code mcp.ratelimit.store=redis}: the store on the application's Lettuce client. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({RedisLimiterStore.class, LettuceConnectionFactory.class})
  @ConditionalOnProperty(prefix = "mcp.ratelimit", name = "store", havingValue = "redis")
  static class RedisStore {
    @Bean
    @ConditionalOnMissingBean(LimiterStore.class)
    @ConditionalOnBean(LettuceConnectionFactory.class)
    LimiterStore mcpRateLimitRedisStore(LettuceConnectionFactory factory, McpRateLimitProperties props, Clock clock) {
      if (!factory.isRunning()) {
        factory.start();
      }
      RedisLimiterStore.Builder b;
      Object client = factory.getNativeClient();
      if (client instanceof RedisClient c) {
        b = RedisLimiterStore.builder(c);
      } else if (client instanceof RedisClusterClient c) {
        b = RedisLimiterStore.builder(c);
      } else {
        throw new IllegalStateException("mcp.ratelimit.store=redis needs a Lettuce RedisClient or RedisClusterClient, "
            + "but the connection factory has " + (client == null ? "none" : client.getClass().getName()));
      }
      b.prefix(props.getRedis().getPrefix());
      if (props.getRedis().isApplicationClock()) {
        b.clock(clock);
      }
      return b.build();
    }
  }

  /** {@code mcp.ratelimit.store=file}: the store in the SQLite file at {@code mcp.ratelimit.file}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = {"dev.mcpratelimit.jdbc.JdbcLimiterStore", "org.sqlite.SQLiteDataSource"})
  @ConditionalOnProperty(prefix = "mcp.ratelimit", name = "store", havingValue = "file")
  static class FileStore {
    @Bean
    @ConditionalOnMissingBean(LimiterStore.class)
    LimiterStore mcpRateLimitFileStore(McpRateLimitProperties props, Clock clock) {
      return JdbcLimiterStore.fileBuilder(Path.of(props.getFile())).clock(clock).build();
    }
  }

  /** {@code mcp.ratelimit.store=jdbc}: the store in the database of the application's {@code DataSource}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = {"dev.mcpratelimit.jdbc.JdbcLimiterStore", "javax.sql.DataSource"})
  @ConditionalOnProperty(prefix = "mcp.ratelimit", name = "store", havingValue = "jdbc")
  static class JdbcStore {
    @Bean
    @ConditionalOnMissingBean(LimiterStore.class)
    @ConditionalOnBean(DataSource.class)
    LimiterStore mcpRateLimitJdbcStore(DataSource dataSource, Clock clock) {
      return JdbcLimiterStore.builder(dataSource).clock(clock).build();
    }
  }
}
