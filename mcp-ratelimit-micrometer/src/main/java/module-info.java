/**
 * Micrometer metrics for mcp-ratelimit: {@link dev.mcpratelimit.micrometer.RateLimitMetrics}.
 * Exports {@code dev.mcpratelimit.micrometer} only.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.mcpratelimit.micrometer {
  requires transitive dev.mcpratelimit;
  requires transitive micrometer.core;

  exports dev.mcpratelimit.micrometer;
}
