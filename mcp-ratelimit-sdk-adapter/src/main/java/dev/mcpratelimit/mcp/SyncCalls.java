package dev.mcpratelimit.mcp;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimiter;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The blocking call path every sync specification shares: acquires (waiting, interruptibly, up to
 * the rules' max wait), answers a denial, else runs the handler and settles the grant. Tool
 * denials follow the denial mode; resource and prompt denials are thrown as {@code McpError}s.
 * Immutable and thread-safe.
 */
final class SyncCalls {
  private final RateLimiter limiter;
  private final Settlement settlement;
  private final DenialResponses denials;
  /** A tool's denial and its refund test, made once rather than per call. */
  private final Function<Decision.Denied, McpSchema.CallToolResult> toolDenied;
  private final Predicate<McpSchema.CallToolResult> toolRefunds;

  SyncCalls(RateLimiter limiter, Settlement settlement, DenialResponses denials) {
    this.limiter = limiter;
    this.settlement = settlement;
    this.denials = denials;
    this.toolDenied = denials::toolResultOrThrow;
    this.toolRefunds = settlement::refunds;
  }

  /** A tool call: a denial is a result or an error, per the denial mode. */
  McpSchema.CallToolResult tool(CallContext call, Supplier<McpSchema.CallToolResult> handler) {
    return run(call, handler, toolDenied, toolRefunds);
  }

  /** A resource read or prompt get: a denial is thrown as an error. */
  <T> T other(CallContext call, Supplier<T> handler) {
    return run(call, handler, denied -> {
      throw denials.error(denied);
    }, r -> false);
  }

  /**
   * Decides, then answers a denial with {@code onDenied}, else runs the handler and settles:
   * refund when it throws (if configured) or when {@code refunds} says its result is a failure,
   * commit otherwise.
   */
  private <T> T run(CallContext call, Supplier<T> handler, Function<Decision.Denied, T> onDenied, Predicate<T> refunds) {
    Decision d;
    try {
      d = limiter.acquireBlocking(call);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw denials.interrupted();
    }
    if (d instanceof Decision.Denied denied) {
      return onDenied.apply(denied);
    }
    Decision.Granted g = (Decision.Granted) d;
    T result;
    try {
      result = handler.get();
    } catch (UpstreamThrottledException u) {
      return onDenied.apply(settlement.throttled(g, call, u));
    } catch (RuntimeException | Error e) {
      settlement.threw(g);
      throw e;
    }
    settlement.returned(g, result != null && refunds.test(result));
    return result;
  }
}
