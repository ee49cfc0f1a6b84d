package dev.mcpratelimit.mcp;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitListener;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.testing.FakeClock;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;

/**
 * The end-to-end scenarios' server side, shared by every transport (HTTP in {@link McpServerFixture},
 * stdio in {@link StdioFixtureServer}): the policy, the demo tools' behaviour, and the unwrapped
 * control tools a test in another process uses to move the fake clock and read counters.
 */
final class DemoTools {
  static final McpSchema.JsonSchema EMPTY_SCHEMA = new McpSchema.JsonSchema("object", Map.of(), List.of(), null, null, null);

  /** The rate-limited demo tools. */
  static final List<String> TOOLS = List.of("echo", "search", "create_issue", "fail", "soft_fail", "github", "delete_repository");

  /** Control tool: {@code setNanos} and/or {@code advanceNanos} (epoch nanoseconds); answers the clock's nanos. */
  static final String CLOCK_TOOL = "fixture_clock";
  /** Control tool: answers {@code handlerCalls} and {@code callers} (see {@link CallerLog}) as structured content. */
  static final String CALLS_TOOL = "fixture_calls";

  private DemoTools() {}

  /**
   * Per user and tool (create_issue, 5/hour); per tool for everyone (search, a 3-token bucket
   * refilling one a minute); one try an hour at the failing tools; and the {@code *} rule: 10
   * calls an hour per tenant on every tool. delete_repository is hidden.
   */
  static RateLimitPolicy policy() {
    return RateLimitPolicy.builder()
        .hide("delete_repository")
        .rule(Rule.builder("hourly issue limit").targets("create_issue")
            .key(KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tool()))
            .limit(LimitSpec.calendarWindow(5, WindowUnit.HOUR)).onDeny("Hourly limit of 5 new issues reached").build())
        .rule(Rule.builder("search").targets("search").key(KeyResolvers.tool())
            .limit(LimitSpec.tokenBucket(3, 1, Duration.ofMinutes(1))).build())
        .rule(Rule.builder("one try").targets("fail", "soft_fail").limit(LimitSpec.calendarWindow(1, WindowUnit.HOUR)).build())
        .rule(Rule.builder("tenant").key(KeyResolvers.tenant()).limit(LimitSpec.calendarWindow(10, WindowUnit.HOUR)).build())
        .build();
  }

  static McpSchema.Tool tool(String name) {
    return McpSchema.Tool.builder(name).description(name).inputSchema(EMPTY_SCHEMA).build();
  }

  /** The demo tools' behaviour: counts the call, then fails, soft-fails, is throttled upstream or answers. */
  static McpSchema.CallToolResult behave(String name, AtomicInteger handlerCalls) {
    handlerCalls.incrementAndGet();
    switch (name) {
      case "fail":
        throw new IllegalStateException("handler failed");
      case "soft_fail":
        return McpSchema.CallToolResult.builder().addTextContent("upstream said no").isError(true).build();
      case "github":
        throw new UpstreamThrottledException(Duration.ofSeconds(30), KeyResolvers.tenant());
      default:
        return McpSchema.CallToolResult.builder().addTextContent("ok " + name).isError(false).build();
    }
  }

  static List<McpServerFeatures.SyncToolSpecification> syncTools(AtomicInteger handlerCalls) {
    List<McpServerFeatures.SyncToolSpecification> l = new ArrayList<>();
    for (String n : TOOLS) {
      l.add(new McpServerFeatures.SyncToolSpecification(tool(n), (ex, req) -> behave(n, handlerCalls)));
    }
    return l;
  }

  static List<McpServerFeatures.AsyncToolSpecification> asyncTools(AtomicInteger handlerCalls) {
    List<McpServerFeatures.AsyncToolSpecification> l = new ArrayList<>();
    for (String n : TOOLS) {
      l.add(new McpServerFeatures.AsyncToolSpecification(tool(n), (ex, req) -> Mono.fromCallable(() -> behave(n, handlerCalls))));
    }
    return l;
  }

  static List<McpStatelessServerFeatures.SyncToolSpecification> statelessTools(AtomicInteger handlerCalls) {
    List<McpStatelessServerFeatures.SyncToolSpecification> l = new ArrayList<>();
    for (String n : TOOLS) {
      l.add(new McpStatelessServerFeatures.SyncToolSpecification(tool(n), (ctx, req) -> behave(n, handlerCalls)));
    }
    return l;
  }

  /** URI of the demo resource. */
  static final String RESOURCE = "docs://readme";
  /** URI template of the demo resource template. */
  static final String TEMPLATE = "docs://pages/{name}";
  /** Name of the demo prompt. */
  static final String PROMPT = "greet";

  static McpStatelessServerFeatures.SyncResourceSpecification statelessResource(AtomicInteger handlerCalls) {
    return new McpStatelessServerFeatures.SyncResourceSpecification(
        McpSchema.Resource.builder().uri(RESOURCE).name("readme").build(), (ctx, req) -> read(req.uri(), handlerCalls));
  }

  static McpStatelessServerFeatures.SyncResourceTemplateSpecification statelessTemplate(AtomicInteger handlerCalls) {
    return new McpStatelessServerFeatures.SyncResourceTemplateSpecification(
        new McpSchema.ResourceTemplate(TEMPLATE, "page", null, null, null), (ctx, req) -> read(req.uri(), handlerCalls));
  }

  static McpStatelessServerFeatures.SyncPromptSpecification statelessPrompt(AtomicInteger handlerCalls) {
    return new McpStatelessServerFeatures.SyncPromptSpecification(new McpSchema.Prompt(PROMPT, "greets", List.of()), (ctx, req) -> {
      handlerCalls.incrementAndGet();
      return new McpSchema.GetPromptResult("greeting",
          List.of(new McpSchema.PromptMessage(McpSchema.Role.USER, new McpSchema.TextContent("hello"))));
    });
  }

  private static McpSchema.ReadResourceResult read(String uri, AtomicInteger handlerCalls) {
    handlerCalls.incrementAndGet();
    return new McpSchema.ReadResourceResult(List.of(new McpSchema.TextResourceContents(uri, "text/plain", "text of " + uri)));
  }

  /** The control tools, sync; never rate-limited (not wrapped). */
  static List<McpServerFeatures.SyncToolSpecification> syncControlTools(FakeClock clock, AtomicInteger handlerCalls, CallerLog callers) {
    return List.of(
        new McpServerFeatures.SyncToolSpecification(tool(CLOCK_TOOL), (ex, req) -> moveClock(clock, req.arguments())),
        new McpServerFeatures.SyncToolSpecification(tool(CALLS_TOOL), (ex, req) -> calls(handlerCalls, callers)));
  }

  /** The control tools, async; never rate-limited (not wrapped). */
  static List<McpServerFeatures.AsyncToolSpecification> asyncControlTools(FakeClock clock, AtomicInteger handlerCalls, CallerLog callers) {
    return List.of(
        new McpServerFeatures.AsyncToolSpecification(tool(CLOCK_TOOL), (ex, req) -> Mono.fromCallable(() -> moveClock(clock, req.arguments()))),
        new McpServerFeatures.AsyncToolSpecification(tool(CALLS_TOOL), (ex, req) -> Mono.fromCallable(() -> calls(handlerCalls, callers))));
  }

  private static McpSchema.CallToolResult moveClock(FakeClock clock, Map<String, Object> args) {
    if (args.get("setNanos") instanceof Number n) {
      clock.setNanos(n.longValue());
    }
    if (args.get("advanceNanos") instanceof Number n) {
      clock.advanceNanos(n.longValue());
    }
    return McpSchema.CallToolResult.builder().addTextContent(Long.toString(clock.nanos()))
        .structuredContent(Map.of("nanos", clock.nanos())).isError(false).build();
  }

  private static McpSchema.CallToolResult calls(AtomicInteger handlerCalls, CallerLog callers) {
    return McpSchema.CallToolResult.builder().addTextContent(Integer.toString(handlerCalls.get()))
        .structuredContent(Map.of("handlerCalls", handlerCalls.get(), "callers", List.copyOf(callers.seen())))
        .isError(false).build();
  }

  /**
   * Records the identity ({@code user@tenant}, {@code -} for an absent part) of every call the
   * limiter decided, so a test can see which identity reached the limiter.
   */
  static final class CallerLog implements RateLimitListener {
    private final Set<String> seen = new ConcurrentSkipListSet<>();

    @Override
    public void onGranted(CallContext call, Decision.Granted decision) {
      record(call);
    }

    @Override
    public void onDenied(CallContext call, Decision.Denied denial) {
      record(call);
    }

    private void record(CallContext call) {
      seen.add(orDash(call.user()) + "@" + orDash(call.tenant()));
    }

    private static String orDash(String s) {
      return s == null ? "-" : s;
    }

    Set<String> seen() {
      return seen;
    }
  }
}
