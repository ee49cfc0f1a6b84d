package dev.mcpratelimit.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** Resources, resource templates and prompts: limited by method and target, denied as McpError. */
class ResourceAndPromptTest {
  static final McpAsyncServerExchange ASYNC = new McpAsyncServerExchange("session-1", null, null,
      new McpSchema.Implementation("inspector", "1"), McpTransportContext.create(Map.of("user", "alice")));
  static final McpSyncServerExchange SYNC = new McpSyncServerExchange(ASYNC);

  final McpRateLimiting limits = McpRateLimiting.builder(RateLimitPolicy.builder()
      .rule(Rule.builder("reads").methods(CallContext.Method.RESOURCES_READ).limit(LimitSpec.calendarWindow(1, WindowUnit.HOUR)).build())
      .rule(Rule.builder("prompts").methods(CallContext.Method.PROMPTS_GET).key(dev.mcpratelimit.KeyResolvers.session())
          .limit(LimitSpec.calendarWindow(1, WindowUnit.HOUR)).build())
      .build()).build();

  static McpError denial(Runnable r) {
    McpError e = assertThrows(McpError.class, r::run);
    assertEquals(McpRateLimiting.DEFAULT_ERROR_CODE, e.getJsonRpcError().code());
    return e;
  }

  @Test
  void resourcesAndTemplatesShareTheReadLimit() {
    McpSchema.Resource res = McpSchema.Resource.builder().uri("file:///a").name("a").build();
    McpSchema.ReadResourceResult ok = new McpSchema.ReadResourceResult(List.of());
    var sync = limits.wrap(new McpServerFeatures.SyncResourceSpecification(res, (ex, req) -> ok));
    assertNotNull(sync.readHandler().apply(SYNC, new McpSchema.ReadResourceRequest("file:///a")));
    McpError e = denial(() -> sync.readHandler().apply(SYNC, new McpSchema.ReadResourceRequest("file:///a")));
    @SuppressWarnings("unchecked")
    Map<String, Object> data = (Map<String, Object>) e.getJsonRpcError().data();
    assertEquals("reads", data.get("rule"));
    var async = limits.wrap(new McpServerFeatures.AsyncResourceSpecification(res, (ex, req) -> Mono.just(ok)));
    denial(() -> async.readHandler().apply(ASYNC, new McpSchema.ReadResourceRequest("file:///a")).block(Duration.ofSeconds(5)));
    McpSchema.ResourceTemplate tpl = new McpSchema.ResourceTemplate("file:///{x}", "files", null, null, null);
    var template = limits.wrap(new McpServerFeatures.SyncResourceTemplateSpecification(tpl, (ex, req) -> ok));
    // the rule is keyed on the user: any URI read by alice spends the same budget
    denial(() -> template.readHandler().apply(SYNC, new McpSchema.ReadResourceRequest("file:///b")));
  }

  @Test
  void promptsAreLimitedPerSession() {
    McpSchema.Prompt prompt = new McpSchema.Prompt("summarise", "summarise", List.of());
    McpSchema.GetPromptResult ok = new McpSchema.GetPromptResult("d", List.of());
    var sync = limits.wrap(new McpServerFeatures.SyncPromptSpecification(prompt, (ex, req) -> ok));
    assertNotNull(sync.promptHandler().apply(SYNC, new McpSchema.GetPromptRequest("summarise", Map.of())));
    denial(() -> sync.promptHandler().apply(SYNC, new McpSchema.GetPromptRequest("summarise", Map.of())));
    var async = limits.wrap(new McpServerFeatures.AsyncPromptSpecification(prompt, (ex, req) -> Mono.just(ok)));
    denial(() -> async.promptHandler().apply(ASYNC, new McpSchema.GetPromptRequest("summarise", Map.of())).block(Duration.ofSeconds(5)));
  }
}
