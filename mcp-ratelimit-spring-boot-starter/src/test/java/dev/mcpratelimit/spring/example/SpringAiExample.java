package dev.mcpratelimit.spring.example;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.springframework.ai.mcp.annotation.McpTool;
import org.springframework.ai.mcp.annotation.McpToolParam;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.stereotype.Component;

/**
 * A Spring AI MCP server with two {@code @McpTool}s, rate-limited by the starter and
 * {@code example-policy.yaml} alone (see the class {@link Tools}: no rate-limiting code). Started
 * on a free port, it is driven by a real MCP client as an agent opening five issues in a row, then
 * prints {@code /actuator/ratelimit} and exits; with {@code --serve} it keeps serving on port 8080
 * ({@code X-User-Id} names the caller) for any MCP client.
 *
 * <pre>./mvnw -q -Pdemo -pl mcp-ratelimit-spring-boot-starter -am verify -DskipTests</pre>
 */
@SpringBootConfiguration
// the starter's tests put Spring Security on this class path; the example runs without it
@EnableAutoConfiguration(excludeName = {
    "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration"})
@Import(SpringAiExample.Tools.class)
public class SpringAiExample {
  /** The application's tools, as any Spring AI server declares them. */
  @Component
  public static class Tools {
    /** @param title the title @return a confirmation */
    @McpTool(name = "create_issue", description = "Opens an issue")
    public String createIssue(@McpToolParam(description = "the title", required = true) String title) {
      return "opened \"" + title + "\"";
    }

    /** @param name the repository @return a confirmation */
    @McpTool(name = "delete_repository", description = "Deletes a repository")
    public String deleteRepository(@McpToolParam(description = "the repository", required = true) String name) {
      return "deleted " + name;
    }
  }

  /**
   * @param args {@code --serve} to keep serving on port 8080
   * @throws Exception if the demo fails
   */
  public static void main(String[] args) throws Exception {
    boolean serve = Arrays.asList(args).contains("--serve");
    ConfigurableApplicationContext ctx = new SpringApplicationBuilder(SpringAiExample.class).properties(
        "server.port=" + (serve ? 8080 : 0),
        "spring.main.banner-mode=off",
        "logging.level.root=WARN",
        "logging.level.dev.mcpratelimit=WARN",
        "spring.ai.mcp.server.protocol=STREAMABLE",
        "mcp.ratelimit.policy=classpath:example-policy.yaml",
        // a localhost demo without authentication: the caller names itself (see the trust warning)
        "mcp.ratelimit.identity.headers.X-User-Id=user",
        "management.endpoints.web.exposure.include=ratelimit").run(args);
    int port = ((WebServerApplicationContext) ctx).getWebServer().getPort();
    if (serve) {
      System.out.println("Spring AI MCP server on http://localhost:" + port + "/mcp (Ctrl-C stops it)");
      return;
    }
    try (ctx) {
      McpSyncClient agent = McpClient.sync(HttpClientStreamableHttpTransport.builder("http://localhost:" + port)
          .endpoint("/mcp").requestBuilder(HttpRequest.newBuilder().header("X-User-Id", "alice")).build())
          .requestTimeout(Duration.ofSeconds(20)).build();
      agent.initialize();
      System.out.println("tools/list: " + agent.listTools().tools().stream().map(McpSchema.Tool::name).toList());
      int denied = 0;
      for (int i = 1; i <= 5; i++) {
        McpSchema.CallToolResult r = agent.callTool(new McpSchema.CallToolRequest("create_issue", Map.of("title", "bug " + i)));
        String text = ((McpSchema.TextContent) r.content().get(0)).text();
        System.out.printf("alice create_issue #%d: %s%n", i, text);
        if (Boolean.TRUE.equals(r.isError())) {
          denied++;
        }
      }
      agent.closeGracefully();
      String report = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/ratelimit")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      System.out.println("/actuator/ratelimit: " + report);
      if (denied != 2) {
        System.err.println("expected the 4th and 5th calls to be denied, but " + denied + " were");
        System.exit(1);
      }
    }
  }
}
