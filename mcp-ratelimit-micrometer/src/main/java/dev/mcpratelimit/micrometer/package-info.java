/** Micrometer metrics for mcp-ratelimit: {@link dev.mcpratelimit.micrometer.RateLimitMetrics}. */
@NullMarked
package dev.mcpratelimit.micrometer;

import org.jspecify.annotations.NullMarked;
