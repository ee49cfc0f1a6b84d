package dev.mcpratelimit.mcp;

import dev.mcpratelimit.KeyResolver;
import dev.mcpratelimit.KeyResolvers;
import java.time.Duration;
import java.util.Objects;

/**
 * Thrown by a wrapped handler when its upstream throttled it (HTTP 429 with Retry-After). The
 * adapter then backs off the given scope — later calls in it are denied locally, or wait, until
 * the upstream recovers — refunds the call's costs, and answers it with a denial carrying the
 * retry hint instead of relaying the upstream error.
 */
public class UpstreamThrottledException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Duration retryAfter;
  private final transient KeyResolver scope;

  /**
   * @param retryAfter how long the upstream asked to wait, positive
   * @param scope who shares that upstream quota, e.g. {@link KeyResolvers#tenant()} for a
   *     per-tenant credential or {@link KeyResolvers#tool()} for a per-tool API key
   */
  public UpstreamThrottledException(Duration retryAfter, KeyResolver scope) {
    super("upstream throttled; retry after " + retryAfter);
    this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
    this.scope = Objects.requireNonNull(scope, "scope");
    if (retryAfter.isNegative() || retryAfter.isZero()) {
      throw new IllegalArgumentException("retryAfter must be positive, but was " + retryAfter);
    }
  }

  /** @return how long the upstream asked to wait */
  public Duration retryAfter() {
    return retryAfter;
  }

  /** @return the scope that shares the upstream quota */
  public KeyResolver scope() {
    return scope;
  }
}
