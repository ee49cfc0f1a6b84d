package dev.mcpratelimit.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.mcp.McpHttpRateLimitFilter;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.ResolvableType;
import tools.jackson.databind.json.JsonMapper;

/** Which HTTP edge beans the starter defines, how they are ordered and mapped, and how they back off. */
class HttpEdgeAutoConfigurationTest {
  private static final ResolvableType REGISTRATION =
      ResolvableType.forClassWithGenerics(FilterRegistrationBean.class, McpHttpRateLimitFilter.class);

  private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(McpRateLimitAutoConfiguration.class,
          McpRateLimitWebMvcAutoConfiguration.class, McpRateLimitHttpEdgeAutoConfiguration.class))
      .withBean("mcpServerJsonMapper", JsonMapper.class, () -> JsonMapper.builder().build())
      .withPropertyValues("spring.ai.mcp.server.protocol=STREAMABLE", "mcp.ratelimit.reload=false",
          "mcp.ratelimit.policy=classpath:edge-policy.yaml");

  @SuppressWarnings("unchecked")
  private static FilterRegistrationBean<McpHttpRateLimitFilter> registration(
      org.springframework.context.ApplicationContext ctx) {
    String[] names = ctx.getBeanNamesForType(REGISTRATION);
    assertThat(names).hasSize(1);
    return (FilterRegistrationBean<McpHttpRateLimitFilter>) ctx.getBean(names[0]);
  }

  @Test
  void aPolicyWithEdgeRulesGetsTheFilterOnSpringAisEndpointAfterSpringSecurity() {
    runner.withPropertyValues("spring.ai.mcp.server.streamable-http.mcp-endpoint=/api/mcp").run(ctx -> {
      assertThat(ctx).hasSingleBean(McpHttpRateLimitFilter.class);
      FilterRegistrationBean<McpHttpRateLimitFilter> r = registration(ctx);
      assertThat(r.isEnabled()).isTrue();
      assertThat(r.getUrlPatterns()).containsExactly("/api/mcp");
      assertThat(r.getOrder()).isEqualTo(-99);
      assertThat(r.getFilter()).isSameAs(ctx.getBean(McpHttpRateLimitFilter.class));
    });
  }

  @Test
  void theOrderFollowsSpringSecuritysOrMcpRatelimitHttpOrder() {
    runner.withPropertyValues("spring.security.filter.order=10")
        .run(ctx -> assertThat(registration(ctx).getOrder()).isEqualTo(11));
    runner.withPropertyValues("spring.security.filter.order=10", "mcp.ratelimit.http.order=-500")
        .run(ctx -> assertThat(registration(ctx).getOrder()).isEqualTo(-500));
  }

  @Test
  void withoutEdgeRulesTheRegistrationIsDisabledUnlessThePropertyEnablesIt() {
    WebApplicationContextRunner noEdge = runner.withPropertyValues("mcp.ratelimit.policy=classpath:mcp-ratelimit.yaml");
    noEdge.run(ctx -> assertThat(registration(ctx).isEnabled()).isFalse());
    noEdge.withPropertyValues("mcp.ratelimit.http.enabled=true").run(ctx -> assertThat(registration(ctx).isEnabled()).isTrue());
  }

  @Test
  void switchedOffDisabledOrOnSseThereIsNoFilter() {
    runner.withPropertyValues("mcp.ratelimit.http.enabled=false").run(ctx -> {
      assertThat(ctx).hasSingleBean(RateLimiter.class).doesNotHaveBean(McpHttpRateLimitFilter.class);
      assertThat(ctx.getBeanNamesForType(REGISTRATION)).isEmpty();
    });
    runner.withPropertyValues("mcp.ratelimit.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(RateLimiter.class).doesNotHaveBean(McpHttpRateLimitFilter.class));
    runner.withPropertyValues("spring.ai.mcp.server.protocol=SSE")
        .run(ctx -> assertThat(ctx).hasSingleBean(RateLimiter.class).doesNotHaveBean(McpHttpRateLimitFilter.class));
  }

  @Test
  void theApplicationsFilterOrRegistrationReplacesTheStarters() {
    runner.withUserConfiguration(OwnFilter.class).run(ctx -> {
      assertThat(ctx).hasSingleBean(McpHttpRateLimitFilter.class);
      assertThat(registration(ctx).getFilter()).isSameAs(ctx.getBean("myEdge"));
    });
    runner.withUserConfiguration(OwnRegistration.class)
        .run(ctx -> assertThat(ctx.getBeanNamesForType(REGISTRATION)).containsExactly("myRegistration"));
  }

  private static McpHttpRateLimitFilter ownFilter() {
    return McpHttpRateLimitFilter.builder(RateLimiter.builder(RateLimitPolicy.builder().build()).build()).peekBytes(0).build();
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnFilter {
    @Bean
    McpHttpRateLimitFilter myEdge() {
      return ownFilter();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnRegistration {
    @Bean
    FilterRegistrationBean<McpHttpRateLimitFilter> myRegistration() {
      return new FilterRegistrationBean<>(ownFilter());
    }
  }
}
