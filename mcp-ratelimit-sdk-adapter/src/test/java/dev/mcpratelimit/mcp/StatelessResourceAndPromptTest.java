package dev.mcpratelimit.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.testing.FakeClock;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * Stateless resources, resource templates and prompts: a real stateless SDK server over Streamable
 * HTTP ({@link McpServerFixture.Kind#STATELESS}) and a real SDK client; the async stateless wraps
 * by their handlers.
 */
class StatelessResourceAndPromptTest {
  static final RateLimitPolicy POLICY = RateLimitPolicy.builder()
      .rule(Rule.builder("reads").methods(CallContext.Method.RESOURCES_READ).key(KeyResolvers.user())
          .limit(LimitSpec.calendarWindow(3, WindowUnit.MINUTE)).build())
      .rule(Rule.builder("prompts").methods(CallContext.Method.PROMPTS_GET).key(KeyResolvers.user())
          .limit(LimitSpec.calendarWindow(3, WindowUnit.MINUTE)).build())
      .build();

  @SuppressWarnings("unchecked")
  static Map<String, Object> data(McpError e) {
    return (Map<String, Object>) e.getJsonRpcError().data();
  }

  static void assertDenial(McpError e, String rule) {
    assertEquals(McpRateLimiting.DEFAULT_ERROR_CODE, e.getJsonRpcError().code());
    assertTrue(e.getMessage().startsWith("Rate limit exceeded"), e.getMessage());
    Map<String, Object> d = data(e);
    assertEquals("rate_limited", d.get("error"));
    assertEquals(rule, d.get("rule"));
    assertEquals(List.of("user"), d.get("scope"));
    assertEquals(3, ((Number) d.get("limit")).intValue());
    assertEquals("PT1M", d.get("window"));
    assertEquals(0, ((Number) d.get("remaining")).intValue());
    assertEquals(1, ((Number) d.get("cost")).intValue());
    assertEquals(60, ((Number) d.get("retryAfterSeconds")).intValue());
  }

  @Test
  void aStatelessServersResourceAndPromptAreDeniedOnTheFourthCall() throws Exception {
    try (McpServerFixture f = new McpServerFixture(McpServerFixture.Kind.STATELESS, POLICY, DenialMode.RESULT)) {
      f.setClock(Instant.parse("2026-11-22T14:19:00Z"));
      McpSyncClient alice = f.client("alice", "acme");
      McpSchema.ReadResourceRequest readme = new McpSchema.ReadResourceRequest(DemoTools.RESOURCE);
      for (int i = 0; i < 2; i++) {
        assertEquals("text of docs://readme",
            ((McpSchema.TextResourceContents) alice.readResource(readme).contents().get(0)).text(), "read " + i);
      }
      McpSchema.ReadResourceRequest page = new McpSchema.ReadResourceRequest("docs://pages/intro");
      assertEquals("text of docs://pages/intro",
          ((McpSchema.TextResourceContents) alice.readResource(page).contents().get(0)).text(), "a template read counts too");
      assertDenial(assertThrows(McpError.class, () -> alice.readResource(readme)), "reads");

      McpSchema.GetPromptRequest greet = new McpSchema.GetPromptRequest(DemoTools.PROMPT, Map.of());
      for (int i = 0; i < 3; i++) {
        assertEquals("greeting", alice.getPrompt(greet).description(), "prompt " + i);
      }
      assertDenial(assertThrows(McpError.class, () -> alice.getPrompt(greet)), "prompts");
      assertEquals(6, f.handlerCalls(), "the denied calls never reached a handler");

      McpSyncClient bob = f.client("bob", "acme");
      assertEquals("greeting", bob.getPrompt(greet).description(), "another user has his own budget");
      f.advanceClock(Duration.ofMinutes(1));
      assertEquals("greeting", alice.getPrompt(greet).description(), "the next window");
    }
  }

  @Test
  void asyncStatelessResourcesTemplatesAndPromptsShareTheAsyncPath() {
    FakeClock clock = FakeClock.create();
    clock.set(Instant.parse("2026-11-22T14:19:00Z"));
    McpRateLimiting limits = McpRateLimiting.builder(RateLimiter.builder(POLICY).clock(clock).build()).build();
    McpTransportContext ctx = McpTransportContext.create(Map.of("user", "alice"));
    AtomicInteger calls = new AtomicInteger();
    McpSchema.ReadResourceResult ok = new McpSchema.ReadResourceResult(List.of());
    var resource = limits.wrap(new McpStatelessServerFeatures.AsyncResourceSpecification(
        McpSchema.Resource.builder().uri("file:///a").name("a").build(), (c, r) -> Mono.fromCallable(() -> {
          calls.incrementAndGet();
          return ok;
        })));
    var template = limits.wrap(new McpStatelessServerFeatures.AsyncResourceTemplateSpecification(
        new McpSchema.ResourceTemplate("file:///{x}", "files", null, null, null), (c, r) -> Mono.fromCallable(() -> {
          calls.incrementAndGet();
          return ok;
        })));
    McpSchema.ReadResourceRequest a = new McpSchema.ReadResourceRequest("file:///a");
    resource.readHandler().apply(ctx, a).block(Duration.ofSeconds(5));
    resource.readHandler().apply(ctx, a).block(Duration.ofSeconds(5));
    template.readHandler().apply(ctx, new McpSchema.ReadResourceRequest("file:///b")).block(Duration.ofSeconds(5));
    assertDenial(assertThrows(McpError.class,
        () -> template.readHandler().apply(ctx, new McpSchema.ReadResourceRequest("file:///c")).block(Duration.ofSeconds(5))), "reads");

    McpSchema.GetPromptResult greeting = new McpSchema.GetPromptResult("d", List.of());
    var prompt = limits.wrap(new McpStatelessServerFeatures.AsyncPromptSpecification(
        new McpSchema.Prompt("greet", "greets", List.of()), (c, r) -> Mono.fromCallable(() -> {
          calls.incrementAndGet();
          return greeting;
        })));
    McpSchema.GetPromptRequest greet = new McpSchema.GetPromptRequest("greet", Map.of());
    for (int i = 0; i < 3; i++) {
      prompt.promptHandler().apply(ctx, greet).block(Duration.ofSeconds(5));
    }
    assertDenial(assertThrows(McpError.class, () -> prompt.promptHandler().apply(ctx, greet).block(Duration.ofSeconds(5))), "prompts");
    assertEquals(6, calls.get());
  }
}
