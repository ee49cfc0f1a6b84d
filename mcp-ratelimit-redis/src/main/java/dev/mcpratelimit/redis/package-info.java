/**
 * A distributed, persistent {@link dev.mcpratelimit.spi.LimiterStore} on Redis:
 * {@link dev.mcpratelimit.redis.RedisLimiterStore}. One round trip per decision.
 */
@NullMarked
package dev.mcpratelimit.redis;

import org.jspecify.annotations.NullMarked;
