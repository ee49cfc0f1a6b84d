package dev.mcpratelimit.spring;

import dev.mcpratelimit.spring.internal.DefaultIdentityResolver;
import dev.mcpratelimit.spring.internal.IdentityContextExtractor;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
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
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.ServerResponse;
import tools.jackson.databind.json.JsonMapper;

/**
 * Identity for Spring AI's WebMVC transports (Streamable HTTP, SSE, stateless). Spring AI offers no
 * bean or property for a transport's context extractor, so this defines the transport beans
 * itself, before Spring AI's (which back off: they are {@code @ConditionalOnMissingBean}), built
 * exactly as Spring AI 2.0 builds them from the same {@code spring.ai.mcp.server.*} properties,
 * plus an {@link IdentityContextExtractor} over the {@link McpRateLimitIdentityResolver} bean.
 * An application that defines its own transport bean keeps it (and sets its own extractor).
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

  /** Streamable HTTP ({@code spring.ai.mcp.server.protocol=STREAMABLE}). */
  @Configuration(proxyBeanMethods = false)
  @Conditional({McpServerStdioDisabledCondition.class, McpServerAutoConfiguration.EnabledStreamableServerCondition.class})
  static class Streamable {
    @Bean
    @ConditionalOnMissingBean
    WebMvcStreamableServerTransportProvider webMvcStreamableServerTransportProvider(
        @Qualifier("mcpServerJsonMapper") JsonMapper jsonMapper, McpServerStreamableHttpProperties p,
        IdentityContextExtractor extractor) {
      return WebMvcStreamableServerTransportProvider.builder()
          .jsonMapper(new JacksonMcpJsonMapper(jsonMapper))
          .mcpEndpoint(p.getMcpEndpoint())
          .keepAliveInterval(p.getKeepAliveInterval())
          .disallowDelete(p.isDisallowDelete())
          .contextExtractor(extractor)
          .build();
    }
  }

  /** Stateless Streamable HTTP ({@code spring.ai.mcp.server.protocol=STATELESS}). */
  @Configuration(proxyBeanMethods = false)
  @Conditional({McpServerStdioDisabledCondition.class, McpServerStatelessAutoConfiguration.EnabledStatelessServerCondition.class})
  static class Stateless {
    @Bean
    @ConditionalOnMissingBean
    WebMvcStatelessServerTransport webMvcStatelessServerTransport(
        @Qualifier("mcpServerJsonMapper") JsonMapper jsonMapper, McpServerStreamableHttpProperties p,
        IdentityContextExtractor extractor) {
      return WebMvcStatelessServerTransport.builder()
          .jsonMapper(new JacksonMcpJsonMapper(jsonMapper))
          .messageEndpoint(p.getMcpEndpoint())
          .contextExtractor(extractor)
          .build();
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
    WebMvcSseServerTransportProvider webMvcSseServerTransportProvider(
        @Qualifier("mcpServerJsonMapper") JsonMapper jsonMapper, McpServerSseProperties p,
        IdentityContextExtractor extractor) {
      return WebMvcSseServerTransportProvider.builder()
          .jsonMapper(new JacksonMcpJsonMapper(jsonMapper))
          .baseUrl(p.getBaseUrl())
          .sseEndpoint(p.getSseEndpoint())
          .messageEndpoint(p.getSseMessageEndpoint())
          .keepAliveInterval(p.getKeepAliveInterval())
          .contextExtractor(extractor)
          .build();
    }

    @Bean
    @ConditionalOnMissingBean(name = "webMvcSseServerRouterFunction")
    RouterFunction<ServerResponse> webMvcSseServerRouterFunction(WebMvcSseServerTransportProvider transport) {
      return transport.getRouterFunction();
    }
  }
}
