package dev.mcpratelimit.spring;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.mcp.McpHttpRateLimitFilter;
import dev.mcpratelimit.policy.PolicyFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.ai.mcp.server.common.autoconfigure.McpServerAutoConfiguration;
import org.springframework.ai.mcp.server.common.autoconfigure.McpServerStatelessAutoConfiguration;
import org.springframework.ai.mcp.server.common.autoconfigure.McpServerStdioDisabledCondition;
import org.springframework.ai.mcp.server.common.autoconfigure.properties.McpServerStreamableHttpProperties;
import org.springframework.ai.mcp.server.webmvc.transport.WebMvcStreamableServerTransportProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The HTTP edge of a Spring AI MCP server on WebMVC: a {@link McpHttpRateLimitFilter} in front of
 * the Streamable HTTP (or stateless) endpoint ({@code spring.ai.mcp.server.streamable-http.mcp-endpoint}),
 * deciding the policy file's {@code edge:} rules with the same {@link RateLimiter} as the tool
 * calls and the same {@link McpRateLimitIdentityResolver}, so both key on the same identity.
 *
 * <p>Registered when the policy file has edge rules or {@code mcp.ratelimit.http.enabled=true};
 * {@code mcp.ratelimit.http.enabled=false} removes it. It runs after Spring Security's filter chain
 * (so the principal is known) unless {@code mcp.ratelimit.http.order} says otherwise. The filter
 * bean and its registration are each {@code @ConditionalOnMissingBean}: define a
 * {@code McpHttpRateLimitFilter} to configure it differently, or a
 * {@code FilterRegistrationBean<McpHttpRateLimitFilter>} to map it differently. The SSE transport
 * is not covered (its POSTs carry the session in the query string).
 */
@AutoConfiguration(after = {McpRateLimitAutoConfiguration.class, McpRateLimitWebMvcAutoConfiguration.class})
@ConditionalOnClass({WebMvcStreamableServerTransportProvider.class, McpServerStdioDisabledCondition.class,
    McpHttpRateLimitFilter.class, FilterRegistrationBean.class})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnProperty(prefix = "mcp.ratelimit.http", name = "enabled", havingValue = "true", matchIfMissing = true)
@ConditionalOnBean({RateLimiter.class, PolicyFile.class, McpRateLimitIdentityResolver.class})
@EnableConfigurationProperties({McpRateLimitHttpProperties.class, McpServerStreamableHttpProperties.class})
public class McpRateLimitHttpEdgeAutoConfiguration {
  /** Name of the filter bean, and of the filter in the servlet context. */
  public static final String FILTER_NAME = "mcpRateLimitHttpFilter";

  private static final Logger LOG = LoggerFactory.getLogger(McpRateLimitHttpEdgeAutoConfiguration.class);
  private static final int SECURITY_FILTER_ORDER = -100; // Spring Boot's default spring.security.filter.order

  /** Instantiated by Spring. */
  public McpRateLimitHttpEdgeAutoConfiguration() {}

  /**
   * Streamable HTTP ({@code spring.ai.mcp.server.protocol=STREAMABLE}: sessions, so a POST without
   * one is {@code initialize}) or stateless ({@code STATELESS}: no request has a session).
   */
  @Configuration(proxyBeanMethods = false)
  @Conditional({McpServerStdioDisabledCondition.class, StreamableOrStateless.class})
  static class Edge {
    @Bean(FILTER_NAME)
    @ConditionalOnMissingBean
    McpHttpRateLimitFilter mcpRateLimitHttpFilter(RateLimiter limiter, PolicyFile policy,
        McpRateLimitIdentityResolver resolver, McpRateLimitHttpProperties props, Environment env) {
      boolean stateless = "STATELESS".equalsIgnoreCase(env.getProperty("spring.ai.mcp.server.protocol", ""));
      return McpHttpRateLimitFilter.builder(limiter)
          .identity(resolver::resolve)
          .denialMode(policy.denialMode())
          .peekBytes(props.getPeekBytes())
          .sessions(!stateless)
          .build();
    }

    @Bean
    @ConditionalOnMissingBean
    FilterRegistrationBean<McpHttpRateLimitFilter> mcpRateLimitHttpFilterRegistration(McpHttpRateLimitFilter filter,
        PolicyFile policy, McpRateLimitHttpProperties props, McpServerStreamableHttpProperties endpoint, Environment env) {
      FilterRegistrationBean<McpHttpRateLimitFilter> r = new FilterRegistrationBean<>(filter);
      r.setName(FILTER_NAME);
      r.addUrlPatterns(endpoint.getMcpEndpoint());
      Integer order = props.getOrder();
      r.setOrder(order != null ? order
          : env.getProperty("spring.security.filter.order", Integer.class, SECURITY_FILTER_ORDER) + 1);
      boolean edgeRules = hasEdgeRules(policy);
      boolean enabled = props.getEnabled() != null ? props.getEnabled() : edgeRules;
      r.setEnabled(enabled);
      if (enabled) {
        LOG.info("HTTP edge rate limiting on {} ({} edge rules in {})", endpoint.getMcpEndpoint(),
            edgeRules ? "with" : "no", policy.source());
      }
      return r;
    }
  }

  /** Spring AI's Streamable HTTP or stateless server is enabled. */
  static final class StreamableOrStateless extends AnyNestedCondition {
    StreamableOrStateless() {
      super(ConfigurationPhase.REGISTER_BEAN);
    }

    @Conditional(McpServerAutoConfiguration.EnabledStreamableServerCondition.class)
    static final class Streamable {}

    @Conditional(McpServerStatelessAutoConfiguration.EnabledStatelessServerCondition.class)
    static final class Stateless {}
  }

  static boolean hasEdgeRules(PolicyFile policy) {
    for (Rule rule : policy.policy().rules()) {
      if (rule.methods().contains(CallContext.Method.HTTP_REQUEST)) {
        return true;
      }
    }
    return false;
  }
}
