package dev.mcpratelimit.bench;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.redis.RedisLimiterStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import redis.embedded.RedisServer;

/**
 * Decisions per second on a Redis Cluster of 1 or 3 masters (all on this machine, loopback), 16
 * callers, a store sharded by tenant ({@code shardBy("tenant")}): two token-bucket rules keyed by
 * tenant and by tenant + user, so every decision is one script in its tenant's slot. 5,000 users
 * over 500 tenants, Zipf-distributed. Each trial starts the cluster's redis-server processes (the
 * embedded-redis binary in cluster mode, slots assigned with {@code CLUSTER ADDSLOTS}, joined with
 * {@code CLUSTER MEET}) and stops them at teardown; a teardown check fails the run on any denial
 * or store error.
 *
 * <p>Run: {@code java -jar mcp-ratelimit-bench/target/benchmarks.jar RedisClusterBenchmark}
 * (short check: add {@code -f 1 -wi 1 -w 2s -i 3 -r 3s}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(16)
public class RedisClusterBenchmark {
  static final int USERS = 5_000;
  static final int TENANTS = 500;
  static final long LIMIT = 1_000_000;

  /** Masters in the cluster. */
  @Param({"1", "3"})
  public int shards;

  final List<RedisServer> servers = new ArrayList<>();
  RedisClusterClient client;
  RateLimiter limiter;
  RedisFixture.Failures failures;
  final CallContext[] calls = new CallContext[USERS];
  final int[] order = Zipf.samples(USERS, 1.0, RedisFixture.ORDER, 42);

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    Path dir = Files.createTempDirectory("mcp-rl-bench-cluster");
    RedisClient admin = RedisClient.create();
    List<StatefulRedisConnection<String, String>> nodes = new ArrayList<>();
    List<RedisURI> uris = new ArrayList<>();
    int per = SlotHash.SLOT_COUNT / shards;
    for (int i = 0; i < shards; i++) {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      RedisServer s = RedisServer.newRedisServer().port(port).bind("127.0.0.1").setting("save \"\"")
          .setting("appendonly no").setting("cluster-enabled yes").setting("dir " + dir)
          .setting("cluster-config-file nodes-" + port + ".conf").onShutdownForceStop(true).build();
      s.start();
      servers.add(s);
      StatefulRedisConnection<String, String> n = admin.connect(RedisURI.create("127.0.0.1", port));
      nodes.add(n);
      uris.add(RedisURI.create("127.0.0.1", port));
      n.sync().clusterAddSlots(IntStream.range(i * per, i == shards - 1 ? SlotHash.SLOT_COUNT : (i + 1) * per).toArray());
      if (i > 0) {
        nodes.get(0).sync().clusterMeet("127.0.0.1", port);
      }
    }
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    for (StatefulRedisConnection<String, String> n : nodes) {
      while (!n.sync().clusterInfo().contains("cluster_state:ok") || !n.sync().clusterInfo().contains("cluster_known_nodes:" + shards)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("cluster not ready: " + n.sync().clusterInfo());
        }
        Thread.sleep(50);
      }
    }
    admin.shutdown();
    client = RedisClusterClient.create(uris);
    for (int i = 0; i < USERS; i++) {
      calls[i] = CallContext.tool("search").user("user-" + i).tenant("tenant-" + (i % TENANTS)).build();
    }
    failures = new RedisFixture.Failures();
    RateLimitPolicy policy = RateLimitPolicy.builder().failureMode(RateLimitPolicy.FailureMode.FAIL_CLOSED)
        .rule(Rule.builder("per tenant").key(KeyResolvers.tenant())
            .limit(LimitSpec.tokenBucket(LIMIT, LIMIT, Duration.ofSeconds(1))).build())
        .rule(Rule.builder("per tenant user").key(KeyResolvers.composite(KeyResolvers.tenant(), KeyResolvers.user()))
            .limit(LimitSpec.tokenBucket(LIMIT, LIMIT, Duration.ofSeconds(1))).build())
        .build();
    limiter = RateLimiter.builder(policy).store(RedisLimiterStore.builder(client).shardBy("tenant").build())
        .listener(failures).build();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    long bad = failures.denied.sum() + failures.storeErrors.sum();
    limiter.store().close();
    client.shutdown();
    for (RedisServer s : servers) {
      s.stop();
    }
    if (bad > 0) {
      throw new IllegalStateException("expected only grants, but " + bad + " were denials or store errors; last: " + failures.lastError);
    }
  }

  /**
   * One decision (one script in the tenant's slot), then commit.
   *
   * @param c this thread's cursor
   * @return the decision
   */
  @Benchmark
  public Decision decide(RedisBenchmark.Cursor c) {
    Decision d = limiter.acquire(calls[c.nextIndex(order)]);
    if (d instanceof Decision.Granted g) {
      g.commit();
    }
    return d;
  }
}
