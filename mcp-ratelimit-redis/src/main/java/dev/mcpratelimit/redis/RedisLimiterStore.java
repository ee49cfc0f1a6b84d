package dev.mcpratelimit.redis;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.Probe;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimitKey;
import dev.mcpratelimit.spi.LimiterStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Limiter state in Redis, shared by every instance of an MCP server and surviving restarts.
 *
 * <p><b>One round trip per decision</b>, whatever the number of rules: one Lua script (sent with
 * {@code EVALSHA}, loaded once and reloaded after {@code NOSCRIPT}) checks every entry of the
 * batch and applies them only if all fit. Refunds and permit releases are one round trip too.
 *
 * <p><b>Time</b> is Redis {@code TIME}, in microseconds, so instances with skewed clocks agree. All
 * values stay below 2^53 (exact in Lua): a token bucket's capacity × µs-per-token must not exceed
 * 2^53 µs (285 years), and limits and costs must stay below 2^53. Refill intervals are rounded up
 * to whole microseconds.
 *
 * <p><b>Algorithms:</b> GCRA token bucket (one value per key), sliding window (two counters; the
 * exact variant is served by the same estimate in Redis), calendar windows (UTC and fixed-offset
 * zones computed in Lua; for zones with daylight saving the window bounds are computed in Java
 * from the engine's clock and passed in), quotas (windows with argument-derived costs), and
 * concurrency limits whose permits carry a lease (default 5 minutes): a crashed instance's
 * permits come back when their lease ends.
 *
 * <p><b>Keys:</b> {@code <prefix>{<hashTag>}:<sha-256 of LimitKey.encoded(), base64url>}. Hashing
 * makes keys fixed-length and immune to injection whatever characters identities hold. Every key
 * carries a TTL derived from its state (time until the bucket is full, the window ends, or the
 * leases end). <b>Cluster:</b> all keys share one hash tag, so a decision's keys are always in one
 * slot and the script stays atomic; the trade-off is that the limiter's keys live on one shard.
 * Use several stores with different hash tags to spread independent policies.
 *
 * <p><b>Failure:</b> commands time out after the configured timeout (default 500 ms) and the
 * error propagates; the engine applies the policy's {@code FAIL_OPEN} / {@code FAIL_CLOSED} and
 * reports it to listeners. Lettuce reconnects by itself when Redis comes back.
 *
 * <p>Thread-safe; one per server. {@link #close()} closes the connection (and the client when
 * the store created it).
 */
public final class RedisLimiterStore implements LimiterStore {
  private static final String SCRIPT = loadScript();
  /** Largest value Lua represents exactly. */
  static final long MAX_EXACT = 1L << 53;

  private final RedisClient client;
  private final boolean ownsClient;
  private final StatefulRedisConnection<String, String> connection;
  private final String prefix;
  private final long leaseMicros;
  private volatile String sha;

  private RedisLimiterStore(Builder b) {
    this.ownsClient = b.client == null;
    this.client = b.client != null ? b.client : RedisClient.create(Objects.requireNonNull(b.uri, "uri"));
    this.connection = client.connect();
    this.connection.setTimeout(b.timeout);
    this.prefix = b.prefix + "{" + b.hashTag + "}:";
    this.leaseMicros = b.lease.toNanos() / 1000;
    this.sha = connection.sync().scriptLoad(SCRIPT);
  }

  /**
   * @param redisUri e.g. {@code redis://localhost:6379}
   * @return a builder
   */
  public static Builder builder(String redisUri) {
    return new Builder(redisUri, null);
  }

  /**
   * @param client a client the caller owns (not closed by the store)
   * @return a builder
   */
  public static Builder builder(RedisClient client) {
    return new Builder(null, Objects.requireNonNull(client, "client"));
  }

  private static String loadScript() {
    try (InputStream in = RedisLimiterStore.class.getResourceAsStream("/dev/mcpratelimit/redis/limiter.lua")) {
      return new String(Objects.requireNonNull(in, "limiter.lua").readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read limiter.lua", e);
    }
  }

  /** @return the Redis key of a limit key (for operators and tests) */
  public String redisKey(LimitKey key) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(key.encoded().getBytes(StandardCharsets.UTF_8));
      return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(h);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private List<Object> eval(String[] keys, String[] args) {
    RedisCommands<String, String> cmd = connection.sync();
    try {
      return cmd.evalsha(sha, ScriptOutputType.MULTI, keys, args);
    } catch (RedisNoScriptException e) {
      sha = cmd.scriptLoad(SCRIPT); // Redis restarted or SCRIPT FLUSH: load again and retry once
      return cmd.evalsha(sha, ScriptOutputType.MULTI, keys, args);
    }
  }

  /** The per-entry arguments: type, cost, p1, p2, p3, maxWait, member, acquiredAt. */
  private String[] entryArgs(LimitSpec spec, long cost, long maxWaitNanos, long engineNow) {
    if (spec instanceof LimitSpec.TokenBucket tb) {
      long interval = Math.max(1, (tb.nanosPerToken() + 999) / 1000);
      return new String[] {"tb", Long.toString(cost), Long.toString(interval), Long.toString(Math.multiplyExact(interval, tb.capacity())),
          Long.toString(tb.capacity()), Long.toString(maxWaitNanos / 1000), "", "0"};
    } else if (spec instanceof LimitSpec.SlidingWindow sw) {
      return new String[] {"sw", Long.toString(cost), Long.toString(Math.max(1, sw.window().toNanos() / 1000)),
          Long.toString(sw.limit()), "0", "0", "", "0"};
    } else if (spec instanceof LimitSpec.FixedWindow fw) {
      ZoneRules rules = fw.zone().getRules();
      if (rules.isFixedOffset()) {
        long off = rules.getOffset(Instant.EPOCH).getTotalSeconds() * 1_000_000L;
        return new String[] {"fw", Long.toString(cost), Long.toString(fw.limit()), "0",
            Long.toString(fw.unit().nominalLength().toNanos() / 1000), Long.toString(off), "", "0"};
      }
      Instant now = Instant.ofEpochSecond(Math.floorDiv(engineNow, 1_000_000_000L), Math.floorMod(engineNow, 1_000_000_000L));
      ZonedDateTime start = now.atZone(fw.zone()).truncatedTo(fw.unit().chronoUnit());
      ZonedDateTime end = fw.unit() == dev.mcpratelimit.WindowUnit.DAY
          ? start.toLocalDate().plusDays(1).atStartOfDay(fw.zone()) : start.plus(1, fw.unit().chronoUnit());
      return new String[] {"fw", Long.toString(cost), Long.toString(fw.limit()), Long.toString(micros(start.toInstant())),
          Long.toString(micros(end.toInstant())), "0", "", "0"};
    }
    LimitSpec.Concurrency c = (LimitSpec.Concurrency) spec;
    String member = UUID.randomUUID() + ":" + cost; // the permit's id; its score is its lease end
    return new String[] {"cc", Long.toString(cost), Long.toString(c.maxInFlight()), Long.toString(leaseMicros), "0", "0", member, "0"};
  }

  private static long micros(Instant i) {
    return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
  }

  @Override
  public @Nullable Ticket acquire(Batch batch) {
    int n = batch.size();
    for (int i = 0; i < n; i++) {
      if (batch.cost(i) < 0 || batch.cost(i) > MAX_EXACT) {
        throw new IllegalArgumentException("cost must be between 0 and 2^53, but was " + batch.cost(i));
      }
    }
    String[] keys = new String[n];
    String[] args = new String[2 + 8 * n];
    args[0] = "acquire";
    args[1] = Integer.toString(n);
    for (int i = 0; i < n; i++) {
      keys[i] = redisKey(batch.key(i));
      String[] e = entryArgs(batch.spec(i), batch.cost(i), batch.maxWaitNanos(i), batch.now());
      System.arraycopy(e, 0, args, 2 + 8 * i, 8);
    }
    List<Object> out = eval(keys, args);
    long redisNow = ((Number) out.get(0)).longValue();
    long engineNow = batch.now();
    boolean all = true;
    for (int i = 0; i < n; i++) {
      int o = 1 + i * 5;
      boolean granted = ((Number) out.get(o)).longValue() == 1;
      long remaining = ((Number) out.get(o + 1)).longValue();
      long retry = ((Number) out.get(o + 2)).longValue();
      long reset = ((Number) out.get(o + 3)).longValue();
      long wait = ((Number) out.get(o + 4)).longValue();
      batch.probe(i).set(granted, remaining, retry < 0 ? Probe.NEVER : retry * 1000,
          reset < 0 ? Probe.NEVER : engineNow + (reset - redisNow) * 1000, wait * 1000);
      all &= granted;
    }
    if (!all) {
      return null; // the script applied nothing
    }
    for (int i = 0; i < n; i++) {
      args[2 + 8 * i + 7] = Long.toString(redisNow); // acquiredAt, for window refunds
    }
    return new RedisTicket(keys, args);
  }

  /** Gives back (refund) or releases (permits) what one granted batch took, in one round trip. */
  private final class RedisTicket implements Ticket {
    private final String[] keys;
    private final String[] args;

    RedisTicket(String[] keys, String[] args) {
      this.keys = keys;
      this.args = args;
    }

    @Override
    public void refund() {
      settle("refund");
    }

    @Override
    public void releasePermits() {
      for (int i = 0; i < keys.length; i++) {
        if ("cc".equals(args[2 + 8 * i])) {
          settle("release");
          return;
        }
      }
    }

    private void settle(String op) {
      String[] a = args.clone();
      a[0] = op;
      eval(keys, a); // a failure here propagates to the caller; the lease returns permits anyway
    }
  }

  /**
   * Lua numbers are doubles: costs, limits and capacities are exact up to 2^53 - 1.
   *
   * @return {@code 2^53 - 1}
   */
  @Override
  public long maxCost() {
    return MAX_EXACT - 1;
  }

  /** @return Redis's own count of keys under this store's prefix is not tracked: -1 */
  @Override
  public long keyCount() {
    return -1;
  }

  @Override
  public void close() {
    connection.close();
    if (ownsClient) {
      client.shutdown();
    }
  }

  @Override
  public String toString() {
    return "RedisLimiterStore{prefix=" + prefix + '}';
  }

  /** Builds a {@link RedisLimiterStore}. Not thread-safe. */
  public static final class Builder {
    private final @Nullable String uri;
    private final @Nullable RedisClient client;
    private String prefix = "mcp-rl:";
    private String hashTag = "mcp-rl";
    private Duration timeout = Duration.ofMillis(500);
    private Duration lease = Duration.ofMinutes(5);

    private Builder(@Nullable String uri, @Nullable RedisClient client) {
      this.uri = uri;
      this.client = client;
    }

    /** @param prefix prepended to every key; default {@code mcp-rl:} @return this builder */
    public Builder prefix(String prefix) {
      this.prefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    /** @param hashTag the Redis Cluster hash tag all keys share; default {@code mcp-rl} @return this builder */
    public Builder hashTag(String hashTag) {
      if (hashTag.isEmpty() || hashTag.contains("{") || hashTag.contains("}")) {
        throw new IllegalArgumentException("hashTag must be non-empty and contain no braces, but was '" + hashTag + "'");
      }
      this.hashTag = hashTag;
      return this;
    }

    /** @param timeout command timeout; default 500 ms @return this builder */
    public Builder timeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, but was " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /** @param lease how long a concurrency permit lives without release; default 5 min @return this builder */
    public Builder permitLease(Duration lease) {
      if (lease.isNegative() || lease.isZero()) {
        throw new IllegalArgumentException("permitLease must be positive, but was " + lease);
      }
      this.lease = lease;
      return this;
    }

    /** @return the store, connected, with its script loaded */
    public RedisLimiterStore build() {
      return new RedisLimiterStore(this);
    }
  }
}
