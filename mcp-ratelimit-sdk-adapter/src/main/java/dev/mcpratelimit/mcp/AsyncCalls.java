package dev.mcpratelimit.mcp;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.internal.seam.AsyncEngine;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The non-blocking call path every async specification shares (Reactor): waits are scheduled on
 * the configured scheduler, never a parked thread; a granted call is settled when its handler's
 * {@code Mono} ends: refunded when cancelled, committed when it completes empty. Tool denials
 * follow the denial mode; resource and prompt denials are {@code McpError}s. Immutable and
 * thread-safe.
 */
final class AsyncCalls {
  private final RateLimiter limiter;
  private final Scheduler scheduler;
  private final Settlement settlement;
  private final DenialResponses denials;
  /** A tool's denial and its refund test, made once rather than per call. */
  private final Function<Decision.Denied, Mono<McpSchema.CallToolResult>> toolDenied;
  private final Predicate<McpSchema.CallToolResult> toolRefunds;

  AsyncCalls(RateLimiter limiter, Scheduler scheduler, Settlement settlement, DenialResponses denials) {
    this.limiter = limiter;
    this.scheduler = scheduler;
    this.settlement = settlement;
    this.denials = denials;
    this.toolDenied = denied -> denials.asError(denied) ? Mono.error(denials.error(denied)) : Mono.just(denials.result(denied));
    this.toolRefunds = settlement::refunds;
  }

  /** A tool call: a denial is a result or an error, per the denial mode. */
  Mono<McpSchema.CallToolResult> tool(CallContext call, Supplier<Mono<McpSchema.CallToolResult>> handler) {
    return run(call, handler, toolDenied, toolRefunds);
  }

  /** A resource read or prompt get: a denial is an error. */
  <T> Mono<T> other(CallContext call, Supplier<Mono<T>> handler) {
    return run(call, handler, denied -> Mono.error(denials.error(denied)), r -> false);
  }

  private <T> Mono<T> run(CallContext call, Supplier<Mono<T>> handler,
      Function<Decision.Denied, Mono<T>> onDenied, Predicate<T> refunds) {
    long startedAt = limiter.clock().nanos();
    return reserve(call, startedAt).flatMap(d -> {
      if (d instanceof Decision.Denied denied) {
        return onDenied.apply(denied);
      }
      Decision.Granted g = (Decision.Granted) d;
      Mono<T> run = Mono.defer(handler);
      if (g.delayNanos() > 0) {
        run = Mono.delay(Duration.ofNanos(g.delayNanos()), scheduler).then(run);
      }
      return run
          .doOnNext(r -> settlement.returned(g, refunds.test(r)))
          .onErrorResume(UpstreamThrottledException.class, u -> onDenied.apply(settlement.throttled(g, call, u)))
          .doOnError(e -> settlement.threw(g))
          .doOnCancel(g::release) // a cancelled call did not happen: refund and free permits
          .doFinally(s -> {
            if (!g.isSettled()) {
              g.commit(); // completed empty: keep the cost, free permits
            }
          });
    });
  }

  /** Acquires without blocking: waits by scheduling, never by parking a thread. */
  private Mono<Decision> reserve(CallContext call, long startedAt) {
    return Mono.defer(() -> {
      Decision d = AsyncEngine.of(limiter).reserve(call, startedAt);
      if (d instanceof Decision.Denied denied && denied.waitable()) {
        return Mono.delay(Duration.ofNanos(Math.max(1, denied.retryAfterNanos())), scheduler)
            .then(reserve(call, startedAt));
      }
      return Mono.just(d);
    });
  }
}
