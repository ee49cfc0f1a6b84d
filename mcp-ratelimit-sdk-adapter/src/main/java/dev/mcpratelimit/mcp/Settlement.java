package dev.mcpratelimit.mcp;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimiter;
import io.modelcontextprotocol.spec.McpSchema;

/**
 * Settles a granted call once its handler is done, the same way on the sync and the async path:
 * commits on success; refunds when the handler threw or a tool returned {@code isError=true}
 * (each as configured); on {@link UpstreamThrottledException} refunds and backs off the scope,
 * answering with the engine's backoff denial. Immutable and thread-safe.
 */
final class Settlement {
  private final RateLimiter limiter;
  private final boolean refundOnException;
  private final boolean refundOnError;

  Settlement(RateLimiter limiter, boolean refundOnException, boolean refundOnError) {
    this.limiter = limiter;
    this.refundOnException = refundOnException;
    this.refundOnError = refundOnError;
  }

  /** Whether a tool's result is a failure that gets its costs back. */
  boolean refunds(McpSchema.CallToolResult result) {
    return Boolean.TRUE.equals(result.isError()) && refundOnError;
  }

  /** The handler threw (anything but {@link UpstreamThrottledException}). */
  void threw(Decision.Granted grant) {
    settle(grant, refundOnException);
  }

  /** The handler returned; {@code refund} when its result is a failure that gets its costs back. */
  void returned(Decision.Granted grant, boolean refund) {
    settle(grant, refund);
  }

  /**
   * The handler reported that its upstream throttled it: refunds, backs off the scope and
   * returns the engine's denial (text and all) for the caller.
   */
  Decision.Denied throttled(Decision.Granted grant, CallContext call, UpstreamThrottledException u) {
    grant.release();
    return limiter.backoff(call, u.scope(), u.retryAfter());
  }

  private static void settle(Decision.Granted grant, boolean refund) {
    if (refund) {
      grant.release();
    } else {
      grant.commit();
    }
  }
}
