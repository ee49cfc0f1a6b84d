package dev.mcpratelimit.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.Rule;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.catalina.Context;
import org.apache.catalina.valves.StuckThreadDetectionValve;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * {@link AsyncWaitAndCancelTest}'s two behaviours end to end: a real async SDK server over
 * Streamable HTTP in embedded Tomcat ({@link McpServerFixture}) and the real SDK async client.
 * The limiter runs on the fixture's fake clock and the adapter times its waits on a
 * {@link VirtualTimeScheduler}, so only the test moves time.
 *
 * <p><b>Waiting.</b> A call that must wait is a delay scheduled on the adapter's scheduler: the
 * call stays pending, its tool body unrun, until virtual time reaches the booked slot. The adapter
 * parks no thread of its own for it (the limiter's blocking sleeper is never called). The SDK's
 * servlet transport, though, holds the request's container thread in {@code Mono.block()} for the
 * whole call ({@code HttpServletStreamableServerTransportProvider.doPost}), waiting or not: that
 * thread is the transport's, not the limiter's.
 *
 * <p><b>Cancelling, and what MCP Java SDK 2.1.0 carries over Streamable HTTP.</b>
 *
 * <ul>
 *   <li>Disposing the client's {@code callTool} subscription (or the client's request timeout
 *       firing) sends nothing: {@code McpClientSession.sendRequest} registers no cancel hook on
 *       its {@code Mono.create} sink, sends the request with a fire-and-forget {@code subscribe()},
 *       and the SDK never sends (nor handles) {@code notifications/cancelled}.
 *   <li>Closing the client ({@code McpAsyncClient.closeGracefully}: its pending calls failed
 *       locally, "Abruptly terminating exchange", then a {@code DELETE} of the session and the
 *       client's open HTTP exchanges disposed) does not reach a running handler either: the
 *       server's {@code doDelete} closes the session's streams, not its in-flight requests, and
 *       the request thread stays in {@code block()}, reading nothing, so the dropped connection
 *       goes unseen.
 *   <li>The server's {@code requestTimeout} times server-to-client requests only, not handlers.
 *   <li>What does cancel the handler's {@code Mono} is an interrupt of the request thread blocked
 *       in {@code doPost}: Reactor's {@code block()} disposes its subscription when interrupted. A
 *       deployment gets that from the container: Tomcat's {@link StuckThreadDetectionValve} with
 *       an {@code interruptThreadThreshold} (used here, the nearest thing to a server-side request
 *       timeout), or the connector's executor being shut down ({@code shutdownNow}) as Tomcat
 *       stops.
 * </ul>
 *
 * <p>The stuck-thread valve measures real time in whole seconds, so that scenario takes two to
 * three seconds of wall-clock time; nothing else here waits except for the network.
 */
class AsyncWaitAndCancelEndToEndTest {
  static final Duration NETWORK = Duration.ofSeconds(15);

  final VirtualTimeScheduler time = VirtualTimeScheduler.create();
  /** Runs of the "work" tool's body: it answers at once. */
  final AtomicInteger workRuns = new AtomicInteger();
  /** Runs of the "hang" tool's body: it answers only when {@link #finishHanging} is emitted. */
  final AtomicInteger hangRuns = new AtomicInteger();
  /** Cancellations the "hang" tool's body saw. */
  final AtomicInteger hangCancels = new AtomicInteger();
  final Sinks.Empty<Void> finishHanging = Sinks.empty();
  McpServerFixture fixture;

  @AfterEach
  void close() throws Exception {
    finishHanging.tryEmitEmpty();
    if (fixture != null) {
      fixture.close();
    }
    time.dispose();
  }

  List<McpServerFeatures.AsyncToolSpecification> tools() {
    return List.of(
        new McpServerFeatures.AsyncToolSpecification(DemoTools.tool("work"), (ex, req) -> Mono.fromCallable(() -> {
          workRuns.incrementAndGet();
          return ok("done");
        })),
        new McpServerFeatures.AsyncToolSpecification(DemoTools.tool("hang"), (ex, req) -> Mono.defer(() -> {
          hangRuns.incrementAndGet();
          return finishHanging.asMono().then(Mono.fromCallable(() -> ok("finished")))
              .doOnCancel(hangCancels::incrementAndGet);
        })));
  }

  McpServerFixture start(RateLimitPolicy policy, Consumer<Context> container) throws Exception {
    fixture = new McpServerFixture(McpServerFixture.Kind.ASYNC, policy, DenialMode.RESULT,
        new McpServerFixture.Hooks(time, tools(), container));
    return fixture;
  }

  static McpSchema.CallToolResult ok(String text) {
    return McpSchema.CallToolResult.builder().addTextContent(text).isError(false).build();
  }

  static McpSchema.CallToolRequest call(String tool) {
    return new McpSchema.CallToolRequest(tool, Map.of());
  }

  static String text(McpSchema.CallToolResult r) {
    return ((McpSchema.TextContent) r.content().get(0)).text();
  }

  static Object deniedBy(McpSchema.CallToolResult r) {
    return r.structuredContent() instanceof Map<?, ?> m ? m.get("rule") : null;
  }

  /** Polls {@code condition} until it holds, failing after {@link #NETWORK}. */
  static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + NETWORK.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + NETWORK + ": " + what);
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
  }

  static RateLimitPolicy oneAtATime() {
    return RateLimitPolicy.builder().rule(Rule.builder("one at a time").limit(LimitSpec.concurrency(1)).build()).build();
  }

  @Test
  void aWaitingCallIsAScheduledDelayAndCompletesWhenTimeReachesItsSlot() throws Exception {
    McpServerFixture f = start(RateLimitPolicy.builder()
        .rule(Rule.builder("bucket").maxWait(Duration.ofSeconds(2)).limit(LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(1))).build())
        .build(), ctx -> { });
    McpAsyncClient alice = f.asyncClient("alice", null);

    McpSchema.CallToolResult first = alice.callTool(call("work")).block(NETWORK);
    assertEquals("done", text(first), "the bucket's one token: granted at once");
    assertEquals(1, workRuns.get());

    CompletableFuture<McpSchema.CallToolResult> second = alice.callTool(call("work")).toFuture();
    eventually(() -> time.getScheduledTaskCount() > 0, "the server schedules the second call's wait on the adapter's scheduler");
    assertEquals(1, workRuns.get(), "the second call's body waits for its slot");
    assertFalse(second.isDone(), "no answer while time stands still");
    assertEquals(0, f.blockingWaits(), "the limiter parked no thread");

    f.advanceClock(Duration.ofMillis(999));
    time.advanceTimeBy(Duration.ofMillis(999));
    assertEquals(1, workRuns.get(), "1 ms before its slot the body has still not run");
    assertFalse(second.isDone());

    f.advanceClock(Duration.ofMillis(1));
    time.advanceTimeBy(Duration.ofMillis(1));
    McpSchema.CallToolResult answer = second.get(NETWORK.toSeconds(), TimeUnit.SECONDS);
    assertFalse(answer.isError(), () -> "a success, not a denial: " + answer);
    assertEquals("done", text(answer));
    assertNull(deniedBy(answer));
    assertEquals(2, workRuns.get(), "the body ran once its slot came");
    assertEquals(0, f.blockingWaits(), "still no thread parked by the limiter");
  }

  @Test
  void sdk21CarriesNoClientCancellationToTheServerSoThePermitIsHeldUntilTheHandlerEnds() throws Exception {
    McpServerFixture f = start(oneAtATime(), ctx -> { });
    McpAsyncClient alice = f.asyncClient("alice", null);
    Disposable callA = alice.callTool(call("hang")).subscribe();
    eventually(() -> hangRuns.get() == 1, "call A's body runs on the server");

    callA.dispose();
    alice.closeGracefully().block(NETWORK);
    McpAsyncClient aliceAgain = f.asyncClient("alice", null);
    McpSchema.CallToolResult b = aliceAgain.callTool(call("work")).block(NETWORK);
    assertEquals("one at a time", deniedBy(b), "call A still holds alice's permit: " + b);
    assertEquals(0, hangCancels.get(), "neither disposing the call nor closing the client cancelled A's handler");
    assertEquals(0, workRuns.get());

    finishHanging.tryEmitEmpty(); // A's handler ends on the server: its permit is freed
    McpSchema.CallToolResult next = aliceAgain.callTool(call("work")).block(NETWORK);
    assertFalse(next.isError(), () -> "granted once A's handler ended: " + next);
    assertEquals(1, workRuns.get());
  }

  @Test
  void anInterruptedRequestThreadCancelsTheHandlerAndTheCancelFreesThePermit() throws Exception {
    StuckThreadDetectionValve stuckThreads = new StuckThreadDetectionValve();
    stuckThreads.setThreshold(2); // seconds: ample time to show A holding the permit first
    stuckThreads.setInterruptThreadThreshold(2);
    McpServerFixture f = start(oneAtATime(), ctx -> {
      ctx.getPipeline().addValve(stuckThreads);
      ctx.setBackgroundProcessorDelay(1); // the valve checks once a second
    });
    McpAsyncClient alice = f.asyncClient("alice", null);
    Disposable callA = alice.callTool(call("hang")).subscribe();
    eventually(() -> hangRuns.get() == 1, "call A's body runs on the server");

    McpSchema.CallToolResult whileRunning = alice.callTool(call("work")).block(NETWORK);
    assertEquals("one at a time", deniedBy(whileRunning), "call A holds alice's permit: " + whileRunning);
    assertEquals(0, workRuns.get());

    callA.dispose(); // what a client does; SDK 2.1.0 sends nothing for it (see the class comment)
    eventually(() -> hangCancels.get() == 1, "the valve interrupts A's request thread, cancelling A's handler");
    if (McpToolFilters.available()) {
      // SDK 2.1 carries nothing for a disposed call, so only the container's interrupt can have
      // cancelled A; on SDK 2.0 the client's closed stream may cancel it first, and either way
      // the check that matters follows: the cancel freed A's permit
      eventually(() -> stuckThreads.getInterruptedThreadsCount() == 1, "the container interrupted A's request thread");
    }

    McpSchema.CallToolResult callB = alice.callTool(call("work")).block(NETWORK);
    assertFalse(callB.isError(), () -> "granted, not a concurrency denial: the cancel freed A's permit: " + callB);
    assertEquals("done", text(callB));
    assertEquals(1, workRuns.get());
  }
}
