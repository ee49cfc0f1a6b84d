package dev.mcpratelimit.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

/** Async handlers: waits are scheduled, never blocking a thread; cancellation frees permits. */
class AsyncWaitAndCancelTest {
  final FakeClock clock = FakeClock.create();
  final VirtualTimeScheduler time = VirtualTimeScheduler.create();
  final McpTransportContext alice = McpTransportContext.create(Map.of("user", "alice"));
  final AtomicInteger calls = new AtomicInteger();

  @AfterEach
  void dispose() {
    time.dispose();
  }

  McpRateLimiting limits(RateLimitPolicy policy) {
    RateLimiter limiter = RateLimiter.builder(policy).clock(clock).store(LimiterStore.inMemory(100, clock)).build();
    return McpRateLimiting.builder(limiter).scheduler(time).build();
  }

  McpStatelessServerFeatures.AsyncToolSpecification tool(McpRateLimiting limits, Mono<McpSchema.CallToolResult> body) {
    return limits.wrap(new McpStatelessServerFeatures.AsyncToolSpecification(McpServerFixture.tool("work"),
        (ctx, req) -> Mono.defer(() -> {
          calls.incrementAndGet();
          return body;
        })));
  }

  static McpSchema.CallToolRequest request() {
    return new McpSchema.CallToolRequest("work", Map.of());
  }

  @Test
  void asyncWaitCompletesAfterTheDelayWithoutBlocking() {
    McpRateLimiting limits = limits(RateLimitPolicy.builder()
        .rule(Rule.builder("bucket").maxWait(Duration.ofSeconds(2)).limit(LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(1))).build())
        .build());
    var spec = tool(limits, Mono.just(McpSchema.CallToolResult.builder().addTextContent("done").isError(false).build()));
    assertNotNull(spec.callHandler().apply(alice, request()).block(Duration.ofSeconds(5)));
    AtomicReference<McpSchema.CallToolResult> second = new AtomicReference<>();
    spec.callHandler().apply(alice, request()).subscribe(second::set); // returns at once: nothing blocks
    assertNull(second.get());
    assertEquals(1, calls.get(), "the second call waits for its booked slot");
    time.advanceTimeBy(Duration.ofMillis(999));
    assertNull(second.get());
    time.advanceTimeBy(Duration.ofMillis(1));
    assertNotNull(second.get());
    assertFalse(second.get().isError());
    assertEquals(2, calls.get());
    AtomicReference<McpSchema.CallToolResult> third = new AtomicReference<>();
    clock.advance(Duration.ofSeconds(1));
    spec.callHandler().apply(alice, request()).subscribe(third::set);
    spec.callHandler().apply(alice, request()).subscribe(r -> { });
    var fourth = spec.callHandler().apply(alice, request()).block(Duration.ofSeconds(5));
    assertTrue(fourth.isError(), "a third waiter would wait past the 2 s max wait: denied at once");
  }

  @Test
  void cancellingAnAsyncCallReleasesItsConcurrencyPermit() {
    McpRateLimiting limits = limits(RateLimitPolicy.builder()
        .rule(Rule.builder("one at a time").limit(LimitSpec.concurrency(1)).build()).build());
    var spec = tool(limits, Mono.never());
    Disposable running = spec.callHandler().apply(alice, request()).subscribe();
    McpSchema.CallToolResult blocked = spec.callHandler().apply(alice, request()).block(Duration.ofSeconds(5));
    assertTrue(blocked.isError(), "the permit is held by the running call");
    running.dispose(); // the client cancelled
    AtomicReference<Object> next = new AtomicReference<>();
    Disposable again = spec.callHandler().apply(alice, request()).subscribe(next::set);
    assertNull(next.get(), "granted and running (never completes), not denied");
    assertEquals(2, calls.get());
    again.dispose();
  }
}
