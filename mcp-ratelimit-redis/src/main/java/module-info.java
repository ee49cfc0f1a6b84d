/**
 * The Redis store of mcp-ratelimit: {@link dev.mcpratelimit.redis.RedisLimiterStore}, limiter state
 * shared by every server instance through Lettuce. Exports {@code dev.mcpratelimit.redis} only.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.mcpratelimit.redis {
  requires transitive dev.mcpratelimit;
  requires transitive lettuce.core;

  exports dev.mcpratelimit.redis;
}
