package dev.mcpratelimit.spring;

import dev.mcpratelimit.Clock;
import dev.mcpratelimit.testing.FakeClock;
import org.springframework.ai.mcp.annotation.McpArg;
import org.springframework.ai.mcp.annotation.McpPrompt;
import org.springframework.ai.mcp.annotation.McpResource;
import org.springframework.ai.mcp.annotation.McpTool;
import org.springframework.ai.mcp.annotation.McpToolParam;
import org.springframework.ai.tool.ToolCallbackProvider;
import org.springframework.ai.tool.annotation.Tool;
import org.springframework.ai.tool.method.MethodToolCallbackProvider;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.stereotype.Component;

/**
 * A Spring AI MCP server as a user writes it: tools from {@code @McpTool} methods and from a
 * {@code ToolCallbackProvider}, a resource, a resource template and a prompt from annotations,
 * HTTP Basic users alice, bob and carol. No rate-limiting code: the starter and
 * {@code mcp-ratelimit.yaml} do it. The clock is a fake one shared by every context of the JVM.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import({TestMcpApp.IssueTools.class, TestMcpApp.Docs.class})
public class TestMcpApp {
  /** The time every test context runs on. */
  public static final FakeClock CLOCK = FakeClock.create();

  @Bean
  Clock rateLimitClock() {
    return CLOCK;
  }

  @Bean
  ToolCallbackProvider echoTools() {
    return MethodToolCallbackProvider.builder().toolObjects(new EchoTool()).build();
  }

  @Bean
  InMemoryUserDetailsManager users() {
    return new InMemoryUserDetailsManager(
        User.withUsername("alice").password("{noop}pw").roles("USER").build(),
        User.withUsername("bob").password("{noop}pw").roles("USER").build(),
        User.withUsername("carol").password("{noop}pw").roles("USER").build());
  }

  @Bean
  SecurityFilterChain security(HttpSecurity http) throws Exception {
    return http.authorizeHttpRequests(a -> a.requestMatchers("/actuator/**").permitAll().anyRequest().authenticated())
        .httpBasic(Customizer.withDefaults())
        .csrf(c -> c.disable())
        .build();
  }

  /** A ToolCallback tool (Spring AI's {@code @Tool}). */
  public static class EchoTool {
    @Tool(name = "echo", description = "Echoes its text")
    public String echo(String text) {
      return text;
    }
  }

  /** {@code @McpTool} tools. */
  @Component
  public static class IssueTools {
    @McpTool(name = "create_issue", description = "Opens an issue")
    public String createIssue(@McpToolParam(description = "title", required = true) String title) {
      return "opened " + title;
    }

    @McpTool(name = "delete_repository", description = "Deletes a repository")
    public String deleteRepository(@McpToolParam(description = "name", required = true) String name) {
      return "deleted " + name;
    }
  }

  /** An annotated resource, resource template and prompt. */
  @Component
  public static class Docs {
    @McpResource(uri = "docs://readme", name = "readme", description = "The readme")
    public String readme() {
      return "read me";
    }

    @McpResource(uri = "docs://pages/{name}", name = "page", description = "A page")
    public String page(String name) {
      return "page " + name;
    }

    @McpPrompt(name = "greet", description = "Greets")
    public String greet(@McpArg(name = "who", required = true) String who) {
      return "Hello " + who;
    }
  }
}
