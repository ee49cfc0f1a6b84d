package dev.mcpratelimit.bench;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitListener;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.redis.RedisLimiterStore;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;
import redis.embedded.RedisServer;

/**
 * What {@link RedisBenchmark} and {@link RedisCommandCount} share: the Redis server (a real
 * redis-server from the embedded-redis artifact on a free localhost port, or {@code REDIS_URL}
 * when set), the workload (users, tools, tenants and their Zipf-distributed order) and the two
 * limiters under test, each configured with the same three stacked token buckets.
 *
 * <p>Closing stops what this fixture started: the clients, then the server (a JVM shutdown hook
 * stops the server too if the JVM ends without closing).
 */
final class RedisFixture implements AutoCloseable {
  /** Distinct users; user {@code i} belongs to tenant {@code i % TENANTS} and calls tool {@code i % 3}. */
  static final int USERS = 5_000;
  static final int TENANTS = 50;
  static final String[] TOOLS = {"search_code", "create_issue", "run_query"};
  /** Length of the precomputed key order (a power of two). */
  static final int ORDER = 1 << 16;

  /**
   * Capacity and refill per second of every rule, both libraries: generous, so that every
   * decision is a grant (the hottest key, a tool, sees about a third of all decisions).
   */
  static final long LIMIT = 1_000_000;

  final String url;
  private final RedisServer server;
  private final Thread hook;
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> admin;

  final CallContext[] calls = new CallContext[USERS];
  final byte[][] userKeys = new byte[USERS][];
  final byte[][] toolKeys = new byte[USERS][];
  final byte[][] tenantKeys = new byte[USERS][];
  /** Indices into the arrays above, Zipf-distributed (exponent 1: user 0 makes ~11 % of calls). */
  final int[] order = Zipf.samples(USERS, 1.0, ORDER, 42);

  private RedisFixture(String url, RedisServer server) {
    this.url = url;
    this.server = server;
    this.hook = new Thread(this::stopServer, "redis-server-stop");
    if (server != null) {
      Runtime.getRuntime().addShutdownHook(hook);
    }
    this.client = RedisClient.create(url);
    this.admin = client.connect();
    for (int i = 0; i < USERS; i++) {
      String tool = TOOLS[i % TOOLS.length];
      String tenant = "tenant-" + (i % TENANTS);
      calls[i] = CallContext.tool(tool).user("user-" + i).tenant(tenant).build();
      userKeys[i] = ("b4j:user:user-" + i).getBytes(StandardCharsets.UTF_8);
      toolKeys[i] = ("b4j:tool:" + tool).getBytes(StandardCharsets.UTF_8);
      tenantKeys[i] = ("b4j:tenant:" + tenant).getBytes(StandardCharsets.UTF_8);
    }
  }

  /**
   * Connects to {@code REDIS_URL}, or starts redis-server on a free port; then flushes it.
   *
   * @return the fixture
   * @throws IOException if the server cannot start
   */
  static RedisFixture start() throws IOException {
    String env = System.getenv("REDIS_URL");
    RedisFixture f;
    if (env != null && !env.isBlank()) {
      f = new RedisFixture(env, null);
    } else {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      RedisServer server = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
          .setting("save \"\"").setting("appendonly no").onShutdownForceStop(true).build();
      server.start();
      f = new RedisFixture("redis://127.0.0.1:" + port, server);
    }
    f.flush();
    return f;
  }

  /** The policy both libraries enforce: three stacked token buckets keyed user, tool and tenant. */
  static RateLimitPolicy policy() {
    return RateLimitPolicy.builder()
        .failureMode(RateLimitPolicy.FailureMode.FAIL_CLOSED) // a Redis error must never count as a grant
        .rule(Rule.builder("per user").key(KeyResolvers.user())
            .limit(LimitSpec.tokenBucket(LIMIT, LIMIT, Duration.ofSeconds(1))).build())
        .rule(Rule.builder("per tool").key(KeyResolvers.tool())
            .limit(LimitSpec.tokenBucket(LIMIT, LIMIT, Duration.ofSeconds(1))).build())
        .rule(Rule.builder("per tenant").key(KeyResolvers.tenant())
            .limit(LimitSpec.tokenBucket(LIMIT, LIMIT, Duration.ofSeconds(1))).build())
        .build();
  }

  /** Counts what must not happen in these runs: denials and store errors. */
  static final class Failures implements RateLimitListener {
    final LongAdder denied = new LongAdder();
    final LongAdder storeErrors = new LongAdder();
    volatile Throwable lastError;

    @Override
    public void onDenied(CallContext call, dev.mcpratelimit.Decision.Denied denial) {
      denied.increment();
    }

    @Override
    public void onStoreError(Throwable error) {
      storeErrors.increment();
      lastError = error;
    }

    /**
     * @param refused the peer's refused decisions
     * @return what went wrong in a run that expects only grants, or {@code null}
     */
    @org.jspecify.annotations.Nullable String problem(long refused) {
      long d = denied.sum();
      long errors = storeErrors.sum();
      if (d + errors + refused == 0) {
        return null;
      }
      return String.format("expected only grants, but ours denied %d (%d store errors, last: %s)"
          + " and Bucket4j refused %d", d, errors, lastError, refused);
    }
  }

  /**
   * Our engine on our Redis store, with its own connection.
   *
   * @param failures listener counting denials and store errors
   * @return the limiter (close its store when done)
   */
  RateLimiter ours(Failures failures) {
    RedisLimiterStore store = RedisLimiterStore.builder(client).build();
    return RateLimiter.builder(policy()).store(store).listener(failures).build();
  }

  /** The bucket every Bucket4j key gets: the same token bucket as each of our rules. */
  static BucketConfiguration bucket4jConfiguration() {
    return BucketConfiguration.builder()
        .addLimit(l -> l.capacity(LIMIT).refillGreedy(LIMIT, Duration.ofSeconds(1)))
        .build();
  }

  /**
   * Bucket4j's Lettuce proxy manager (compare-and-swap based, the one Bucket4j offers for
   * Lettuce) on its own connection, keys expiring when their bucket would be full again (as ours).
   *
   * @return the proxy manager and its connection (close the connection when done)
   */
  Bucket4jSide bucket4j() {
    RedisCodec<byte[], byte[]> codec = ByteArrayCodec.INSTANCE;
    StatefulRedisConnection<byte[], byte[]> conn = client.connect(codec);
    ProxyManager<byte[]> proxies = Bucket4jLettuce.casBasedBuilder(conn)
        .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10)))
        .build();
    return new Bucket4jSide(proxies, conn, bucket4jConfiguration());
  }

  /** Bucket4j's side: proxy manager, its connection, the bucket configuration. */
  record Bucket4jSide(ProxyManager<byte[]> proxies, StatefulRedisConnection<byte[], byte[]> connection,
      BucketConfiguration configuration) implements AutoCloseable {

    /**
     * One decision as a Bucket4j user writes it: consume from the user's, the tool's and the
     * tenant's bucket in turn, stopping at the first that refuses. Not all-or-nothing: tokens
     * taken before a refusal are kept.
     *
     * @param f the workload
     * @param i the caller's index
     * @return whether all three buckets granted
     */
    boolean decide(RedisFixture f, int i) {
      return proxies.builder().build(f.userKeys[i], configuration).tryConsume(1)
          && proxies.builder().build(f.toolKeys[i], configuration).tryConsume(1)
          && proxies.builder().build(f.tenantKeys[i], configuration).tryConsume(1);
    }

    @Override
    public void close() {
      connection.close();
    }
  }

  /** Deletes every key ({@code FLUSHALL}); loaded scripts stay. */
  void flush() {
    admin.sync().flushall();
  }

  /** Resets Redis's statistics ({@code CONFIG RESETSTAT}). */
  void resetStats() {
    admin.sync().configResetstat();
  }

  /** @return the number of keys in the database */
  long dbSize() {
    return admin.sync().dbsize();
  }

  /**
   * Reads {@code INFO commandstats}, leaving out the commands this fixture itself sends
   * ({@code CONFIG}, {@code INFO}, {@code ECHO}, {@code MONITOR}). Redis counts the commands scripts run
   * ({@code redis.call}) here too, beside the {@code EVAL}/{@code EVALSHA} that ran them.
   *
   * @return calls per command name, e.g. {@code evalsha → 10000}
   */
  Map<String, Long> commandStats() {
    Map<String, Long> out = new TreeMap<>();
    for (String line : admin.sync().info("commandstats").split("\r?\n")) {
      if (!line.startsWith("cmdstat_")) {
        continue;
      }
      String name = line.substring("cmdstat_".length(), line.indexOf(':'));
      if (name.equals("info") || name.equals("echo") || name.equals("monitor") || name.startsWith("config")) {
        continue;
      }
      for (String field : line.substring(line.indexOf(':') + 1).split(",")) {
        if (field.startsWith("calls=")) {
          out.put(name, Long.parseLong(field.substring("calls=".length())));
        }
      }
    }
    return out;
  }

  /**
   * Starts counting the commands clients send, apart from those scripts run: {@code MONITOR} on
   * its own socket marks a script's commands {@code [0 lua]}, which {@code INFO commandstats}
   * cannot tell apart.
   *
   * @return the running monitor; {@link Monitor#stop()} it to read the counts
   * @throws IOException if it cannot connect
   */
  Monitor monitor() throws IOException {
    return new Monitor(io.lettuce.core.RedisURI.create(url), () -> admin.sync().echo(Monitor.FENCE));
  }

  @Override
  public void close() {
    try {
      admin.close();
      client.shutdown();
    } finally {
      stopServer();
      if (server != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // the hook is running or has run
        }
      }
    }
  }

  private void stopServer() {
    if (server == null) {
      return;
    }
    try {
      server.stop();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot stop redis-server", e);
    }
  }
}
