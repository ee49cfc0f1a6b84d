package dev.mcpratelimit.redis;

import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import dev.mcpratelimit.testing.StoreContract;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The second store contract suite (atomicity over every counter type), unchanged, on Redis. */
class RedisStoreContractTest extends StoreContract {
  @Override
  protected LimiterStore newStore(FakeClock clock) {
    try {
      TestRedis.admin(c -> c.flushdb());
      return RedisLimiterStore.builder(TestRedis.url()).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  protected boolean storeUsesInjectedClock() {
    return false;
  }
}
