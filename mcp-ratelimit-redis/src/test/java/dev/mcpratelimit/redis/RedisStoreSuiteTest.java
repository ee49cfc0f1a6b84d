package dev.mcpratelimit.redis;

import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import dev.mcpratelimit.testing.StoreSuite;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The engine's store correctness suite, unchanged, on a real Redis. */
class RedisStoreSuiteTest extends StoreSuite {
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
    return false; // time is Redis TIME
  }
}
