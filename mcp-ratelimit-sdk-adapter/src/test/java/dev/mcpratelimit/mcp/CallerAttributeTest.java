package dev.mcpratelimit.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitListener;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link McpRateLimiting.Builder#callerAttribute}: identity defaults for transports without one (stdio). */
class CallerAttributeTest {
  final FakeClock clock = FakeClock.create();
  final List<Map<String, String>> seen = new ArrayList<>();

  McpRateLimiting.Builder builder() {
    RateLimiter limiter = RateLimiter.builder(RateLimitPolicy.builder()
            .rule(Rule.builder("per user").key(KeyResolvers.user()).limit(LimitSpec.calendarWindow(1, WindowUnit.HOUR)).build())
            .build())
        .clock(clock).store(LimiterStore.inMemory(100, clock))
        .listener(new RateLimitListener() {
          @Override
          public void onGranted(CallContext call, Decision.Granted decision) {
            seen.add(call.attributes());
          }

          @Override
          public void onDenied(CallContext call, Decision.Denied denial) {
            seen.add(call.attributes());
          }
        }).build();
    return McpRateLimiting.builder(limiter);
  }

  static McpStatelessServerFeatures.SyncToolSpecification echo(McpRateLimiting limits) {
    return limits.wrap(new McpStatelessServerFeatures.SyncToolSpecification(DemoTools.tool("echo"),
        (ctx, req) -> McpSchema.CallToolResult.builder().addTextContent("ok").isError(false).build()));
  }

  static boolean denied(McpStatelessServerFeatures.SyncToolSpecification tool, McpTransportContext ctx) {
    return Boolean.TRUE.equals(tool.callHandler().apply(ctx, new McpSchema.CallToolRequest("echo", Map.of())).isError());
  }

  @Test
  void everyCallCarriesTheDefaults() {
    var tool = echo(builder().callerAttribute(CallContext.USER, "alice").callerAttribute(CallContext.TENANT, "acme")
        .callerAttribute("region", "eu").build());
    assertFalse(denied(tool, McpTransportContext.EMPTY));
    assertTrue(denied(tool, McpTransportContext.EMPTY), "alice's one call an hour is spent");
    assertEquals(Map.of("user", "alice", "tenant", "acme", "region", "eu"), seen.get(0));
    assertEquals(seen.get(0), seen.get(1));
  }

  @Test
  void transportContextAttributesTakePrecedence() {
    var tool = echo(builder().callerAttribute(CallContext.USER, "alice").callerAttribute(CallContext.TENANT, "acme")
        .callerAttribute("region", "eu").build());
    McpTransportContext bob = McpTransportContext.create(Map.of(CallContext.USER, "bob",
        McpRateLimiting.ATTRIBUTES, Map.of("region", "us")));
    assertFalse(denied(tool, bob));
    assertEquals(Map.of("user", "bob", "tenant", "acme", "region", "us"), seen.get(0),
        "the transport's user and region win; the tenant it lacks comes from the defaults");
    assertFalse(denied(tool, McpTransportContext.EMPTY), "alice's budget was not spent by bob's call");
    assertTrue(denied(tool, bob));
  }

  @Test
  void withoutDefaultsNothingIsAdded() {
    var tool = echo(builder().build());
    assertFalse(denied(tool, McpTransportContext.EMPTY));
    assertEquals(Map.of(), seen.get(0));
  }

  @Test
  void laterValueOfTheSameNameWins() {
    var tool = echo(builder().callerAttribute(CallContext.USER, "alice").callerAttribute(CallContext.USER, "carol").build());
    assertFalse(denied(tool, McpTransportContext.EMPTY));
    assertEquals(Map.of("user", "carol"), seen.get(0));
  }

  @Test
  void valuesUpToTheLimitAreAccepted() {
    String longest = "x".repeat(IdentityExtractor.MAX_VALUE_LENGTH);
    var tool = echo(builder().callerAttribute(CallContext.USER, longest).callerAttribute(CallContext.TENANT, "ünïcødé ✓").build());
    assertFalse(denied(tool, McpTransportContext.EMPTY));
    assertEquals(Map.of("user", longest, "tenant", "ünïcødé ✓"), seen.get(0));
  }

  @Test
  void badNamesAndValuesAreRejectedWithClearMessages() {
    McpRateLimiting.Builder b = builder();
    assertEquals("callerAttribute name must not be blank, but was \" \\u0009\"",
        assertThrows(IllegalArgumentException.class, () -> b.callerAttribute(" \t", "alice")).getMessage());
    assertEquals("callerAttribute name must not be blank, but was \"\"",
        assertThrows(IllegalArgumentException.class, () -> b.callerAttribute("", "alice")).getMessage());
    assertEquals("callerAttribute user must not be empty",
        assertThrows(IllegalArgumentException.class, () -> b.callerAttribute("user", "")).getMessage());
    assertEquals("callerAttribute user must be at most 256 characters, but was 257",
        assertThrows(IllegalArgumentException.class,
            () -> b.callerAttribute("user", "x".repeat(IdentityExtractor.MAX_VALUE_LENGTH + 1))).getMessage());
    assertEquals("callerAttribute user must not contain control characters, but has U+000A at index 5",
        assertThrows(IllegalArgumentException.class, () -> b.callerAttribute("user", "alice\nbob")).getMessage());
    assertEquals("callerAttribute tenant must not contain control characters, but has U+0085 at index 0",
        assertThrows(IllegalArgumentException.class, () -> b.callerAttribute("tenant", "\u0085")).getMessage());
    assertThrows(NullPointerException.class, () -> b.callerAttribute(null, "alice"));
    assertThrows(NullPointerException.class, () -> b.callerAttribute("user", null));
    // a rejected attribute leaves nothing behind
    var tool = echo(b.build());
    assertFalse(denied(tool, McpTransportContext.EMPTY));
    assertEquals(Map.of(), seen.get(0));
  }
}
