package dev.mcpratelimit.redis;

import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import dev.mcpratelimit.testing.StoreContract;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The store contract suite, unchanged and whole, on a real Redis: the store takes its time from the
 * suite's fake clock ({@link RedisLimiterStore.Builder#clock}), so the cases that move time
 * (refill, window rollover, lease expiry, waits) run the Lua script too.
 */
class RedisStoreContractTest extends StoreContract {
  @Override
  protected LimiterStore newStore(FakeClock clock) {
    try {
      TestRedis.admin(c -> c.flushdb());
      return RedisLimiterStore.builder(TestRedis.url()).clock(clock).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
