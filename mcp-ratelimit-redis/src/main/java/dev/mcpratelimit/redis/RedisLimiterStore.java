package dev.mcpratelimit.redis;

import dev.mcpratelimit.Clock;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.spi.Probe;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimitKey;
import dev.mcpratelimit.spi.LimiterStore;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
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
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * LimitState state in Redis, shared by every instance of an MCP server and surviving restarts.
 *
 * <p><b>One round trip per decision</b>, whatever the number of rules: one Lua script (sent with
 * {@code EVALSHA}; after {@code NOSCRIPT} sent once with {@code EVAL}, which caches it again)
 * checks every entry of the batch and applies them only if all fit. Refunds and permit releases
 * are one round trip too. With {@link Builder#shardBy(String)} a decision whose rules live in two
 * slots takes two (see there).
 *
 * <p><b>Time</b> is Redis {@code TIME}, in microseconds, so instances with skewed clocks agree;
 * {@link Builder#clock(Clock)} takes it from the engine's clock instead (tests on a fake clock, or
 * servers whose clocks are synchronised). All values stay below 2^53 (exact in Lua): a token
 * bucket's capacity × µs-per-token must not exceed 2^53 µs (285 years), and limits and costs must
 * stay below 2^53. Refill intervals are rounded up to whole microseconds.
 *
 * <p><b>Algorithms:</b> GCRA token bucket (one value per key), sliding window (two counters), exact
 * sliding window (a list of at most {@code limit} grant times), calendar windows (UTC and
 * fixed-offset zones computed in Lua; for zones with daylight saving the window bounds are
 * computed in Java from the engine's clock and passed in), quotas (windows with argument-derived
 * costs), and concurrency limits whose permits carry a lease (default 5 minutes): a crashed
 * instance's permits come back when their lease ends.
 *
 * <p><b>Keys:</b> {@code <prefix>{<hashTag>}:<sha-256 of LimitKey.encoded(), base64url>}. Hashing
 * makes keys fixed-length and immune to injection whatever characters identities hold. Every key
 * carries a TTL derived from its state (time until the bucket is full, the window ends, or the
 * leases end).
 *
 * <p><b>Failure:</b> a command not answered within the timeout (default 500 ms) fails the decision
 * and the engine applies the policy's {@code FAIL_OPEN} / {@code FAIL_CLOSED}. A decision the
 * engine reported as failed is never charged: each acquisition carries a deadline, on Redis's own
 * clock, after which the script applies nothing (so commands queued behind a paused Redis do not
 * count when it resumes), and a grant whose reply arrives after the client gave up is refunded on
 * arrival.
 *
 * <p>Thread-safe; one per server. {@link #close()} closes only what the store opened.
 */
public final class RedisLimiterStore implements LimiterStore {
  private static final String SCRIPT = loadScript();
  private static final String SHA = sha1(SCRIPT);
  /** Largest value Lua represents exactly. */
  static final long MAX_EXACT = 1L << 53;
  private static final int HEADER = 4;
  private static final int SLOTS = 8;
  private static final long UNKNOWN = Long.MIN_VALUE;

  private final @Nullable AbstractRedisClient ownedClient;
  private final @Nullable StatefulConnection<String, String> ownedConnection;
  private final RedisScriptingAsyncCommands<String, String> redis;
  private final boolean cluster;
  private final String prefix;
  private final String hashTag;
  private final @Nullable String shardBy;
  private final @Nullable Clock clock;
  private final long leaseMicros;
  private final long timeoutNanos;
  /** Per cluster slot (one entry standalone): Redis TIME µs minus local nanoTime µs, a lower bound. */
  private final long[] offsets;
  /** Local nanoTime µs of each slot's last calibration. */
  private final long[] calibratedAt;
  private volatile long lastOffset = UNKNOWN;
  /** Per rule state identity: the position of the shard dimension in its key, and the part count. */
  private final ConcurrentHashMap<String, int[]> shardPositions = new ConcurrentHashMap<>();

  private RedisLimiterStore(Builder b) {
    AbstractRedisClient createdClient = null;
    StatefulConnection<String, String> conn = b.connection;
    if (conn == null) {
      AbstractRedisClient c = b.client;
      if (c == null) {
        createdClient = RedisClient.create(Objects.requireNonNull(b.uri, "uri"));
        c = createdClient;
      }
      conn = c instanceof RedisClusterClient cc ? cc.connect() : ((RedisClient) c).connect();
      this.ownedConnection = conn;
    } else {
      this.ownedConnection = null;
    }
    this.ownedClient = createdClient;
    if (conn instanceof StatefulRedisClusterConnection<String, String> cc) {
      this.redis = cc.async();
      this.cluster = true;
    } else {
      this.redis = ((StatefulRedisConnection<String, String>) conn).async();
      this.cluster = false;
    }
    this.prefix = b.prefix;
    this.hashTag = b.hashTag;
    this.shardBy = b.shardBy;
    this.clock = b.clock;
    this.leaseMicros = b.lease.toNanos() / 1000;
    this.timeoutNanos = b.timeout.toNanos();
    this.offsets = new long[cluster ? SlotHash.SLOT_COUNT : 1];
    this.calibratedAt = new long[offsets.length];
    Arrays.fill(offsets, UNKNOWN);
    // load the script (on a cluster: on one node; the others get it by EVAL after NOSCRIPT)
    await(redis.scriptLoad(SCRIPT), System.nanoTime());
  }

  /**
   * A store that connects to one Redis and closes the connection and client on {@link #close()}.
   *
   * @param redisUri e.g. {@code redis://localhost:6379}
   * @return a builder
   */
  public static Builder builder(String redisUri) {
    return new Builder(Objects.requireNonNull(redisUri, "redisUri"), null, null);
  }

  /**
   * A store that opens its own connection from an application's client: {@link #close()} closes
   * that connection, never the client.
   *
   * @param client a client the caller owns
   * @return a builder
   */
  public static Builder builder(RedisClient client) {
    return new Builder(null, Objects.requireNonNull(client, "client"), null);
  }

  /**
   * A store on a Redis Cluster that opens its own cluster connection from an application's
   * client: {@link #close()} closes that connection, never the client.
   *
   * @param client a cluster client the caller owns
   * @return a builder
   */
  public static Builder builder(RedisClusterClient client) {
    return new Builder(null, Objects.requireNonNull(client, "client"), null);
  }

  /**
   * A store on an application's connection, shared with its other commands; {@link #close()}
   * leaves it open. The connection must use string keys and values (the default codec).
   *
   * @param connection a connection the caller owns
   * @return a builder
   */
  public static Builder builder(StatefulRedisConnection<String, String> connection) {
    return new Builder(null, null, Objects.requireNonNull(connection, "connection"));
  }

  /**
   * A store on an application's Redis Cluster connection; {@link #close()} leaves it open.
   *
   * @param connection a cluster connection the caller owns
   * @return a builder
   */
  public static Builder builder(StatefulRedisClusterConnection<String, String> connection) {
    return new Builder(null, null, Objects.requireNonNull(connection, "connection"));
  }

  private static String loadScript() {
    try (InputStream in = RedisLimiterStore.class.getResourceAsStream("/dev/mcpratelimit/redis/limiter.lua")) {
      return new String(Objects.requireNonNull(in, "limiter.lua").readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read limiter.lua", e);
    }
  }

  private static String sha1(String s) {
    return HexFormat.of().formatHex(digest("SHA-1", s));
  }

  private static byte[] digest(String algorithm, String s) {
    try {
      return MessageDigest.getInstance(algorithm).digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** @return the Redis key of a limit key (for operators and tests) */
  public String redisKey(LimitKey key) {
    return redisKey(tag(key.space(), key.part()), key.encoded());
  }

  private String redisKey(String tag, String encoded) {
    return prefix + "{" + tag + "}:" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest("SHA-256", encoded));
  }

  /**
   * The hash tag of an entry: the shard dimension's value (hashed) when the store shards and the
   * entry's key holds that dimension, otherwise the store's hash tag.
   */
  private String tag(String space, @Nullable String part) {
    String dim = shardBy;
    if (dim == null || part == null) {
      return hashTag;
    }
    int[] pos = shardPositions.computeIfAbsent(space, s -> position(s, dim));
    if (pos[0] < 0) {
      return hashTag;
    }
    String value = pos[1] == 1 ? part : component(part, pos[0]);
    if (value == null) {
      return hashTag;
    }
    byte[] h = digest("SHA-256", value);
    return hashTag + "-" + Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(h, 9));
  }

  /** Where {@code dim} is among the key dimensions of a state identity (name NUL dims NUL limit). */
  private static int[] position(String space, String dim) {
    int last = space.lastIndexOf('\u0000');
    int first = last > 0 ? space.lastIndexOf('\u0000', last - 1) : -1;
    if (first < 0) {
      return new int[] {-1, 0};
    }
    List<String> dims = Arrays.asList(space.substring(first + 1, last).split("\\+", -1));
    return new int[] {dims.indexOf(dim), dims.size()};
  }

  /** The k-th component of a composite key part ({@code <length>:<value>} each), or null. */
  private static @Nullable String component(String part, int k) {
    int p = 0;
    for (int j = 0; ; j++) {
      int colon = part.indexOf(':', p);
      if (colon < 0) {
        return null;
      }
      int len;
      try {
        len = Integer.parseInt(part, p, colon, 10);
      } catch (NumberFormatException e) {
        return null;
      }
      int end = colon + 1 + len;
      if (len < 0 || end > part.length()) {
        return null;
      }
      if (j == k) {
        return part.substring(colon + 1, end);
      }
      p = end;
    }
  }

  /** The per-entry arguments: type, cost, p1, p2, p3, maxWait, member, acquiredAt. */
  private String[] entryArgs(LimitSpec spec, long cost, long maxWaitNanos, long engineNow) {
    if (spec instanceof LimitSpec.TokenBucket tb) {
      long interval = Math.max(1, (tb.nanosPerToken() + 999) / 1000);
      return new String[] {"tb", Long.toString(cost), Long.toString(interval), Long.toString(Math.multiplyExact(interval, tb.capacity())),
          Long.toString(tb.capacity()), Long.toString(maxWaitNanos / 1000), "", "0"};
    } else if (spec instanceof LimitSpec.SlidingWindow sw) {
      return new String[] {sw.exact() ? "sx" : "sw", Long.toString(cost), Long.toString(Math.max(1, sw.window().toNanos() / 1000)),
          Long.toString(sw.limit()), "0", "0", "", "0"};
    } else if (spec instanceof LimitSpec.CalendarWindow cw) {
      ZoneRules rules = cw.zone().getRules();
      if (rules.isFixedOffset()) {
        long off = rules.getOffset(Instant.EPOCH).getTotalSeconds() * 1_000_000L;
        return new String[] {"cw", Long.toString(cost), Long.toString(cw.limit()), "0",
            Long.toString(cw.unit().nominalLength().toNanos() / 1000), Long.toString(off), "", "0"};
      }
      Instant now = Instant.ofEpochSecond(Math.floorDiv(engineNow, 1_000_000_000L), Math.floorMod(engineNow, 1_000_000_000L));
      ZonedDateTime start = now.atZone(cw.zone()).truncatedTo(cw.unit().chronoUnit());
      ZonedDateTime end = cw.unit() == WindowUnit.DAY
          ? start.toLocalDate().plusDays(1).atStartOfDay(cw.zone()) : start.plus(1, cw.unit().chronoUnit());
      return new String[] {"cw", Long.toString(cost), Long.toString(cw.limit()), Long.toString(micros(start.toInstant())),
          Long.toString(micros(end.toInstant())), "0", "", "0"};
    }
    LimitSpec.Concurrency c = (LimitSpec.Concurrency) spec;
    String member = UUID.randomUUID() + ":" + cost; // the permit's id; its score is its lease end
    return new String[] {"cc", Long.toString(cost), Long.toString(c.maxInFlight()), Long.toString(leaseMicros), "0", "0", member, "0"};
  }

  private static long micros(Instant i) {
    return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
  }

  /** The entries of a batch that share one slot, with the script's keys and arguments. */
  private static final class Group {
    final String tag;
    final int slot;
    final int[] entries;
    final String[] keys;
    final String[] args;

    Group(String tag, int slot, int[] entries, String[] keys, String[] args) {
      this.tag = tag;
      this.slot = slot;
      this.entries = entries;
      this.keys = keys;
      this.args = args;
    }

    boolean holdsPermits() {
      for (int j = 0; j < keys.length; j++) {
        if ("cc".equals(args[HEADER + SLOTS * j])) {
          return true;
        }
      }
      return false;
    }
  }

  @Override
  public @Nullable Ticket acquire(Batch batch) {
    int n = batch.size();
    for (int i = 0; i < n; i++) {
      if (batch.cost(i) < 0 || batch.cost(i) >= MAX_EXACT) {
        throw new IllegalArgumentException("cost must be between 0 and 2^53 - 1, but was " + batch.cost(i));
      }
    }
    String[] tags = new String[n];
    int distinct = 0;
    String[] order = new String[n];
    for (int i = 0; i < n; i++) {
      tags[i] = tag(batch.space(i), batch.part(i));
      boolean seen = false;
      for (int g = 0; g < distinct && !seen; g++) {
        seen = order[g].equals(tags[i]);
      }
      if (!seen) {
        order[distinct++] = tags[i];
      }
    }
    long engineNow = batch.now();
    long nowArg = clock == null ? 0 : Math.floorDiv(engineNow, 1000);
    Group[] groups = new Group[distinct];
    for (int g = 0; g < distinct; g++) {
      int count = 0;
      for (int i = 0; i < n; i++) {
        count += tags[i].equals(order[g]) ? 1 : 0;
      }
      int[] entries = new int[count];
      String[] keys = new String[count];
      String[] args = new String[HEADER + SLOTS * count];
      args[0] = "acquire";
      args[1] = Integer.toString(count);
      args[3] = Long.toString(nowArg);
      int j = 0;
      for (int i = 0; i < n; i++) {
        if (tags[i].equals(order[g])) {
          entries[j] = i;
          keys[j] = redisKey(tags[i], batch.key(i).encoded());
          String[] e = entryArgs(batch.spec(i), batch.cost(i), batch.maxWaitNanos(i), engineNow);
          System.arraycopy(e, 0, args, HEADER + SLOTS * j, SLOTS);
          j++;
        }
      }
      groups[g] = new Group(order[g], cluster ? SlotHash.getSlot(keys[0]) : 0, entries, keys, args);
    }
    // One slot: one atomic script. Several (shardBy): reserve slot by slot in the batch's order;
    // a denial or failure in one gives back what the others reserved.
    List<Group> taken = new ArrayList<>(distinct);
    try {
      for (int g = 0; g < distinct; g++) {
        Group group = groups[g];
        List<Object> out = acquireGroup(group);
        boolean all = fill(batch, group, out, engineNow);
        if (!all) {
          giveBack(taken);
          for (int h = g + 1; h < distinct; h++) { // not asked: reported as passing, never as the denial
            for (int i : groups[h].entries) {
              batch.probe(i).set(true, 0, 0, Probe.NEVER, 0);
            }
          }
          return null; // the script applied nothing
        }
        setAcquiredAt(group, out);
        taken.add(group);
      }
    } catch (RuntimeException e) {
      try {
        giveBack(taken);
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return new RedisTicket(taken.toArray(new Group[0]));
  }

  private static void setAcquiredAt(Group group, List<Object> out) {
    long now = ((Number) out.get(2)).longValue();
    for (int j = 0; j < group.keys.length; j++) {
      long from = now;
      int a = HEADER + SLOTS * j;
      if ("tb".equals(group.args[a])) {
        // a token-bucket grant counts from its place in the bucket's timeline (its new TAT less
        // its cost): a refund gives back exactly the part not yet refilled, however grants and
        // refunds interleave; a booked slot starts later still and is given back whole before then
        long cost = Long.parseLong(group.args[a + 1]);
        long interval = Long.parseLong(group.args[a + 2]);
        from = Math.max(now, ((Number) out.get(3 + j * 5 + 3)).longValue() - cost * interval);
      }
      group.args[a + 7] = Long.toString(from);
    }
  }

  /** Fills the probes of a group's entries from the script's reply. @return whether all were granted */
  private static boolean fill(Batch batch, Group group, List<Object> out, long engineNow) {
    long scriptNow = ((Number) out.get(2)).longValue();
    boolean all = true;
    for (int j = 0; j < group.entries.length; j++) {
      int i = group.entries[j];
      int o = 3 + j * 5;
      boolean granted = ((Number) out.get(o)).longValue() == 1;
      long remaining = ((Number) out.get(o + 1)).longValue();
      long retry = ((Number) out.get(o + 2)).longValue();
      long reset = ((Number) out.get(o + 3)).longValue();
      long wait = ((Number) out.get(o + 4)).longValue();
      long resetAt;
      if (reset < 0) {
        resetAt = Probe.NEVER;
      } else if (batch.spec(i) instanceof LimitSpec.CalendarWindow) {
        resetAt = reset * 1000; // a calendar boundary: exact, on the timeline the store decides on
      } else {
        resetAt = engineNow + (reset - scriptNow) * 1000;
      }
      batch.probe(i).set(granted, remaining, retry < 0 ? Probe.NEVER : retry * 1000, resetAt, wait * 1000);
      all &= granted;
    }
    return all;
  }

  private void giveBack(List<Group> taken) {
    for (Group g : taken) {
      settle(g, "refund");
    }
  }

  /** Runs a group's acquisition with a deadline; a reply that arrives too late is refunded. */
  private List<Object> acquireGroup(Group group) {
    long sent = System.nanoTime();
    long offset = offsets[group.slot];
    if (offset == UNKNOWN) {
      offset = lastOffset;
    }
    // the client gives up at sent + timeout (local); Redis TIME then is at least offset + that
    group.args[2] = offset == UNKNOWN ? "0" : Long.toString(offset + (sent + timeoutNanos) / 1000);
    io.lettuce.core.RedisFuture<List<Object>> f = redis.evalsha(SHA, ScriptOutputType.MULTI, group.keys, group.args);
    List<Object> out;
    try {
      out = await(f, sent);
    } catch (RedisNoScriptException e) {
      sent = System.nanoTime();
      f = redis.eval(SCRIPT, ScriptOutputType.MULTI, group.keys, group.args); // caches it again
      try {
        out = await(f, sent);
      } catch (RedisCommandTimeoutException t) {
        refundOnArrival(group, f);
        throw t;
      }
    } catch (RedisCommandTimeoutException t) {
      refundOnArrival(group, f);
      throw t;
    }
    calibrate(group.slot, out);
    if (((Number) out.get(0)).longValue() == 0) {
      throw new RedisCommandTimeoutException("Redis ran the decision after its deadline and applied nothing");
    }
    return out;
  }

  /**
   * Redis read TIME before this moment, so TIME minus the local clock now is a lower bound of the
   * offset between the clocks, short by the time the reply took to reach this thread (long on a
   * loaded machine). The largest bound seen is the tightest; it decays by 1 ms per second of local
   * time so that a Redis clock stepped back, or drifting, is followed.
   */
  private void calibrate(int slot, List<Object> out) {
    long redisTime = ((Number) out.get(1)).longValue();
    long local = System.nanoTime() / 1000;
    long observed = redisTime - local;
    long old = offsets[slot];
    long o = old == UNKNOWN ? observed : Math.max(observed, old - Math.max(0, local - calibratedAt[slot]) / 1000);
    offsets[slot] = o; // racy updates keep one valid bound or another: each is a lower bound
    calibratedAt[slot] = local;
    lastOffset = o;
  }

  /** A grant that arrives after the client gave up was reported as not granted: give it back. */
  private void refundOnArrival(Group group, io.lettuce.core.RedisFuture<List<Object>> f) {
    f.thenAccept(out -> {
      if (((Number) out.get(0)).longValue() != 1) {
        return;
      }
      for (int j = 0; j < group.keys.length; j++) {
        if (((Number) out.get(3 + j * 5)).longValue() != 1) {
          return; // denied: nothing was applied
        }
      }
      setAcquiredAt(group, out);
      String[] a = group.args.clone();
      a[0] = "refund";
      a[2] = "0";
      redis.evalsha(SHA, ScriptOutputType.MULTI, group.keys, a);
    });
  }

  private <T> T await(io.lettuce.core.RedisFuture<T> f, long sent) {
    try {
      long left = sent + timeoutNanos - System.nanoTime();
      return f.get(Math.max(0, left), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new RedisCommandTimeoutException("Redis did not answer within " + Duration.ofNanos(timeoutNanos).toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisException("interrupted while waiting for Redis", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException r) {
        throw r;
      }
      throw new RedisException(c);
    }
  }

  /** Refunds or releases what one group took, in one round trip. */
  private void settle(Group g, String op) {
    String[] a = g.args.clone();
    a[0] = op;
    a[2] = "0"; // giving back is always welcome, however late
    a[3] = clock == null ? "0" : Long.toString(Math.floorDiv(clock.nanos(), 1000));
    long sent = System.nanoTime();
    try {
      await(redis.evalsha(SHA, ScriptOutputType.MULTI, g.keys, a), sent);
    } catch (RedisNoScriptException e) {
      await(redis.eval(SCRIPT, ScriptOutputType.MULTI, g.keys, a), System.nanoTime());
    }
  }

  /** Gives back (refund) or releases (permits) what one granted batch took, one round trip per slot. */
  private final class RedisTicket implements Ticket {
    private final Group[] groups;

    RedisTicket(Group[] groups) {
      this.groups = groups;
    }

    @Override
    public void refund() {
      for (Group g : groups) {
        settle(g, "refund"); // a failure propagates to the caller; the lease returns permits anyway
      }
    }

    @Override
    public void releasePermits() {
      for (Group g : groups) {
        if (g.holdsPermits()) {
          settle(g, "release");
        }
      }
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
    if (ownedConnection != null) {
      ownedConnection.close();
    }
    if (ownedClient != null) {
      ownedClient.shutdown();
    }
  }

  @Override
  public String toString() {
    return "RedisLimiterStore{prefix=" + prefix + ", hashTag=" + hashTag + (shardBy == null ? "" : ", shardBy=" + shardBy)
        + (cluster ? ", cluster" : "") + '}';
  }

  /** Builds a {@link RedisLimiterStore}. Not thread-safe. */
  public static final class Builder {
    private final @Nullable String uri;
    private final @Nullable AbstractRedisClient client;
    private final @Nullable StatefulConnection<String, String> connection;
    private String prefix = "mcp-rl:";
    private String hashTag = "mcp-rl";
    private @Nullable String shardBy;
    private @Nullable Clock clock;
    private Duration timeout = Duration.ofMillis(500);
    private Duration lease = Duration.ofMinutes(5);

    private Builder(@Nullable String uri, @Nullable AbstractRedisClient client, @Nullable StatefulConnection<String, String> connection) {
      this.uri = uri;
      this.client = client;
      this.connection = connection;
    }

    /** @param prefix prepended to every key; default {@code mcp-rl:} @return this builder */
    public Builder prefix(String prefix) {
      this.prefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    /**
     * @param hashTag the Redis Cluster hash tag of the keys (of those not sharded by
     *     {@link #shardBy}); default {@code mcp-rl}
     * @return this builder
     */
    public Builder hashTag(String hashTag) {
      if (hashTag.isEmpty() || hashTag.contains("{") || hashTag.contains("}")) {
        throw new IllegalArgumentException("hashTag must be non-empty and contain no braces, but was '" + hashTag + "'");
      }
      this.hashTag = hashTag;
      return this;
    }

    /**
     * Spreads the keys over a Redis Cluster by one key dimension, e.g. {@code "tenant"}: the keys
     * of every rule whose key includes that dimension take their hash tag from its value, so one
     * tenant's keys share a slot and tenants spread over the shards. Keys of rules without it
     * (a global {@code "*"} rule keyed by {@code global}, a per-tool rule) keep {@link #hashTag}.
     *
     * <p>A decision whose rules all live in one slot is one atomic script, as without sharding. A
     * decision touching both its tenant's slot and the shared one reserves slot by slot, in rule
     * order (a second round trip); a denial in the second gives back the first's reservation (a
     * third). No slot is ever over-granted; the cost is a brief under-grant: while a reservation
     * that ends up given back is held, another caller may be refused by it.
     *
     * @param dimension a key dimension name as in {@link dev.mcpratelimit.KeyResolver#dimensions()}
     * @return this builder
     */
    public Builder shardBy(String dimension) {
      if (dimension == null || dimension.isBlank()) {
        throw new IllegalArgumentException("shardBy must name a key dimension (e.g. 'tenant'), but was '" + dimension + "'");
      }
      this.shardBy = dimension;
      return this;
    }

    /**
     * Takes time from {@code clock} (the engine's clock: pass the same one) instead of Redis
     * {@code TIME}. For tests on a fake clock, or for servers whose clocks are synchronised:
     * instances whose clocks disagree then disagree on refills and window boundaries. Deadlines
     * still use Redis {@code TIME}.
     *
     * @param clock the engine's clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * @param timeout how long a decision waits for Redis before it fails (and, by its deadline,
     *     can no longer be applied); default 500 ms
     * @return this builder
     */
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

    /** @return the store, connected */
    public RedisLimiterStore build() {
      return new RedisLimiterStore(this);
    }
  }
}
