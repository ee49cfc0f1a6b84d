package dev.mcpratelimit.redis;

import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import dev.mcpratelimit.testing.StoreContract;

/**
 * The whole store contract on a real 3-master Redis Cluster, sharded by tenant: every decision
 * whose rules are keyed by tenant and by something else spans two slots, so the suite checks the
 * cross-slot reservation (all or nothing, exact refunds, no over-grant) as much as the script.
 */
class RedisClusterStoreContractTest extends StoreContract {
  @Override
  protected LimiterStore newStore(FakeClock clock) {
    TestCluster cluster = TestCluster.get();
    cluster.flushAll();
    return RedisLimiterStore.builder(cluster.client).shardBy("tenant").clock(clock).build();
  }
}
