package dev.mcpratelimit.spring;

import dev.mcpratelimit.mcp.McpRateLimiting;
import dev.mcpratelimit.spring.internal.DefaultIdentityResolver;
import dev.mcpratelimit.spring.internal.HiddenToolsStatelessTransport;
import dev.mcpratelimit.spring.internal.IdentityContextExtractor;
import dev.mcpratelimit.spring.internal.IdentityTransports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.ai.mcp.server.common.autoconfigure.McpServerAutoConfiguration;
import org.springframework.ai.mcp.server.common.autoconfigure.McpServerStatelessAutoConfiguration;
import org.springframework.ai.mcp.server.common.autoconfigure.McpServerStdioDisabledCondition;
import org.springframework.ai.mcp.server.common.autoconfigure.properties.McpServerSseProperties;
import org.springframework.ai.mcp.server.common.autoconfigure.properties.McpServerStreamableHttpProperties;
import org.springframework.ai.mcp.server.webmvc.transport.WebMvcSseServerTransportProvider;
import org.springframework.ai.mcp.server.webmvc.transport.WebMvcStatelessServerTransport;
import org.springframework.ai.mcp.server.webmvc.transport.WebMvcStreamableServerTransportProvider;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.context.annotation.Primary;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.ServerResponse;
import tools.jackson.databind.json.JsonMapper;

/**
 * Identity for Spring AI's WebMVC transports (Streamable HTTP, SSE, stateless). Spring AI offers no
 * bean or property for a transport's context extractor, so this defines the transport beans
 * itself, before Spring AI's (which back off: they are {@code @ConditionalOnMissingBean}), built
 * exactly as Spring AI 2.0 builds them from the same {@code spring.ai.mcp.server.*} properties,
 * plus an {@link IdentityContextExtractor} over the {@link McpRateLimitIdentityResolver} bean.
 * An application that defines its own transport bean keeps it (and sets its own extractor). For
 * stateless servers it also leaves hidden tools out of {@code tools/list}
 * ({@link HiddenToolsStatelessTransport}).
 */
@AutoConfiguration(beforeName = {
    "org.springframework.ai.mcp.server.webmvc.autoconfigure.McpServerStreamableHttpWebMvcAutoConfiguration",
    "org.springframework.ai.mcp.server.webmvc.autoconfigure.McpServerStatelessWebMvcAutoConfiguration",
    "org.springframework.ai.mcp.server.webmvc.autoconfigure.McpServerSseWebMvcAutoConfiguration"})
@ConditionalOnClass({WebMvcStreamableServerTransportProvider.class, McpServerStdioDisabledCondition.class})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnProperty(prefix = "mcp.ratelimit", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties({McpRateLimitProperties.class, McpServerStreamableHttpProperties.class, McpServerSseProperties.class})
public class McpRateLimitWebMvcAutoConfiguration {
  private static final Logger LOG = LoggerFactory.getLogger(McpRateLimitWebMvcAutoConfiguration.class);

  /** Instantiated by Spring. */
  public McpRateLimitWebMvcAutoConfiguration() {}

  /**
   * @param props settings
   * @return the default identity: principal, configured claims and headers
   */
  @Bean
  @ConditionalOnMissingBean
  McpRateLimitIdentityResolver mcpRateLimitIdentityResolver(McpRateLimitProperties props) {
    McpRateLimitProperties.Identity id = props.getIdentity();
    if (!id.getHeaders().isEmpty()) {
      LOG.warn("mcp.ratelimit.identity.headers {} are trusted as the client sends them: map identity headers only "
          + "behind a gateway that sets them and strips the client's", id.getHeaders().keySet());
    }
    return new DefaultIdentityResolver(id.isPrincipalAsUser(), id.getClaims(), id.getHeaders());
  }

  /**
   * @param resolver the identity resolver
   * @return the extractor every transport here uses
   */
  @Bean
  @ConditionalOnMissingBean
  IdentityContextExtractor mcpRateLimitContextExtractor(McpRateLimitIdentityResolver resolver) {
    return new IdentityContextExtractor(resolver);
  }

  /**
   * @param jsonMapper Spring AI's MCP JSON mapper
   * @param extractor the identity extractor
   * @return what builds the transports below, each with the extractor
   */
  @Bean
  @Lazy
  @ConditionalOnMissingBean
  IdentityTransports mcpRateLimitTransports(@Qualifier("mcpServerJsonMapper") JsonMapper jsonMapper,
      IdentityContextExtractor extractor) {
    return new IdentityTransports(jsonMapper, extractor);
  }

  /** Streamable HTTP ({@code spring.ai.mcp.server.protocol=STREAMABLE}). */
  @Configuration(proxyBeanMethods = false)
  @Conditional({McpServerStdioDisabledCondition.class, McpServerAutoConfiguration.EnabledStreamableServerCondition.class})
  static class Streamable {
    @Bean
    @ConditionalOnMissingBean
    WebMvcStreamableServerTransportProvider webMvcStreamableServerTransportProvider(IdentityTransports transports,
        McpServerStreamableHttpProperties p) {
      return transports.streamable(p);
    }
  }

  /**
   * Stateless Streamable HTTP ({@code spring.ai.mcp.server.protocol=STATELESS}). Spring AI builds
   * stateless servers with no customizer, so the hidden-tool filter sits in the transport the
   * server is given: {@link HiddenToolsStatelessTransport}, the primary
   * {@code McpStatelessServerTransport}, over the WebMVC one (this module's or the application's).
   */
  @Configuration(proxyBeanMethods = false)
  @Conditional({McpServerStdioDisabledCondition.class, McpServerStatelessAutoConfiguration.EnabledStatelessServerCondition.class})
  static class Stateless {
    @Bean
    @ConditionalOnMissingBean
    WebMvcStatelessServerTransport webMvcStatelessServerTransport(IdentityTransports transports,
        McpServerStreamableHttpProperties p) {
      return transports.stateless(p);
    }

    @Bean
    @Primary
    @ConditionalOnMissingBean(HiddenToolsStatelessTransport.class)
    HiddenToolsStatelessTransport mcpRateLimitStatelessTransport(WebMvcStatelessServerTransport transport,
        ObjectProvider<McpRateLimiting> limits) {
      return new HiddenToolsStatelessTransport(transport, limits);
    }
  }

  /**
   * SSE (the default protocol of Spring AI 2.0, deprecated there). Spring AI's SSE configuration
   * backs off as a whole once a transport provider exists, so its router function is defined here too.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(WebMvcSseServerTransportProvider.class)
  @Conditional({McpServerStdioDisabledCondition.class, McpServerAutoConfiguration.EnabledSseServerCondition.class})
  static class Sse {
    @Bean
    @ConditionalOnMissingBean
    WebMvcSseServerTransportProvider webMvcSseServerTransportProvider(IdentityTransports transports, McpServerSseProperties p) {
      return transports.sse(p);
    }

    @Bean
    @ConditionalOnMissingBean(name = "webMvcSseServerRouterFunction")
    RouterFunction<ServerResponse> webMvcSseServerRouterFunction(WebMvcSseServerTransportProvider transport) {
      return transport.getRouterFunction();
    }
  }
}
