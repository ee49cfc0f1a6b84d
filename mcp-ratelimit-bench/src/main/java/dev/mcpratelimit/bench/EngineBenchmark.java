package dev.mcpratelimit.bench;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * A full engine decision: three stacked token-bucket rules keyed on user, tool and tenant, over 1
 * million users in 10,000 tenants drawn from a Zipf distribution (exponent 1), in the default
 * in-memory store exactly as {@code RateLimiter.builder(policy).build()} gives it. Each operation is
 * {@code acquire} + {@code commit}, as the MCP adapter does for a successful call. Targets (docs/architecture.md,
 * 20, ratios in one run): ≤ 0.5 × {@code bucket4jInCaffeine}, ≤ 2 × {@code floorConcurrentHashMap},
 * ≤ 64 B/op, with identities in random memory order; {@code decide2Threads} ≥ 1.6 × the throughput
 * of {@code decide}, read beside {@code floorConcurrentHashMap2Threads}, the machine's own 2-thread
 * scaling on this workload.
 *
 * <p>Each trial starts warm: its setup walks the whole order once through the structure the
 * benchmark measures (see {@code warmUp}), so every key of the order exists from the first
 * iteration on. Each thread walks the order from its own start ({@link Cursor}): thread {@code i}
 * of {@code n} from {@code i * ORDER_LENGTH / n}, as concurrent callers are different agents. (Until
 * 2026-12-02 both threads of {@code decide2Threads} started at index 0 and walked the same keys in
 * lockstep, a contention no real server sees; figures before that date are not comparable.)
 *
 * <ul>
 *   <li>{@code decide}, {@code decide2Threads}: every key stays live (a user's or tenant's token
 *       takes 5 minutes to come back, a tool's 30 s, so no key's state is idle during the trial):
 *       the store holds the keys seen and each decision finds its keys. This is the target's case.
 *       The three tool keys are written by every decision of every thread: that contention is the
 *       workload's (the Bucket4j recipe and the floor pay it too).
 *   <li>{@code decideExpiringKeys}: a key's bucket is full again a microsecond after its call, so
 *       a rarely seen user's key has been dropped by its next call and is created again: the cost
 *       of the long tail's first sights.
 *   <li>{@code bucket4jInCaffeine}: the recipe Bucket4j's documentation gives for per-key limits,
 *       one Caffeine {@code Cache<String, Bucket>} per dimension ({@code expireAfterAccess}, and
 *       the default store's cap) and {@code tryConsume(1)} on each; not atomic across the three.
 *   <li>{@code floorConcurrentHashMap}, {@code floorCaffeine}: controls, no rate limiting — three
 *       lookups of the same keys and an {@code AtomicLong} increment each, in a
 *       {@code ConcurrentHashMap} and in a Caffeine cache bounded and expiring as the store's are.
 *       They show what the memory traffic of a million-key working set costs on this machine
 *       before any limiter logic runs. {@code floorConcurrentHashMap2Threads} is the first on two
 *       threads: how far two cores scale on these cache misses and on the shared tool counters.
 * </ul>
 *
 * <p>{@code identities}: {@code random} allocates the users' call contexts and strings in a
 * shuffled order, so the hot users of the Zipf head are scattered over the heap as the sessions
 * of a long-running server are; {@code memory} allocates them in rank order, so the hot users sit
 * next to each other and share cache lines (the flattering case).
 *
 * <p>Run: {@code java -jar mcp-ratelimit-bench/target/benchmarks.jar EngineBenchmark -prof gc}; the
 * scaling rows alone: {@code java -jar mcp-ratelimit-bench/target/benchmarks.jar
 * 'EngineBenchmark.(decide|decide2Threads|floorConcurrentHashMap|floorConcurrentHashMap2Threads)$'
 * -p identities=random -prof gc}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class EngineBenchmark {

  @Param({"1000000"})
  int users;

  @Param({"random", "memory"})
  String identities;

  static final String[] TOOLS = {"search_code", "create_issue", "run_query"};

  /** The live case's user and tenant buckets: a token comes back in {@link #KEY_PERIOD}. */
  static final long KEY_CAPACITY = 7_600_000;

  static final Duration KEY_PERIOD = Duration.ofMinutes(5);

  /** The live case's tool buckets: a token comes back in {@link #TOOL_PERIOD}. */
  static final long TOOL_CAPACITY = 76_000_000;

  static final Duration TOOL_PERIOD = Duration.ofSeconds(30);

  /** Calls in the precomputed order, a power of two: the order repeats after this many. */
  static final int ORDER_LENGTH = 1 << 22;

  CallContext[] calls;
  int[] order;
  RateLimiter limiter;
  RateLimiter expiringLimiter;
  ConcurrentHashMap<String, AtomicLong> mapUser;
  ConcurrentHashMap<String, AtomicLong> mapTool;
  ConcurrentHashMap<String, AtomicLong> mapTenant;
  Cache<String, AtomicLong> cacheUser;
  Cache<String, AtomicLong> cacheTool;
  Cache<String, AtomicLong> cacheTenant;
  Cache<String, Bucket> bucketsUser;
  Cache<String, Bucket> bucketsTool;
  Cache<String, Bucket> bucketsTenant;

  @Setup(Level.Trial)
  public void setUp(BenchmarkParams params) {
    setUp();
    String benchmark = params.getBenchmark();
    warmUp(benchmark.substring(benchmark.lastIndexOf('.') + 1));
  }

  /** Builds the identities, the order and every structure, all empty. */
  void setUp() {
    // live: once seen, a key stays live for the whole trial (the store drops a key only when its
    // state is idle) and nothing is denied. A user's or tenant's token takes 5 minutes to come
    // back, longer than any trial, warm-up pass included, even on a loaded machine (with the 30 s
    // of the tool rule, users seen once early in a slow warm-up pass were dropped and created
    // again during the measurement); 7.6 million tokens are more than the busiest user or tenant
    // (~7 % of the calls) takes in a trial. The 3 tool keys are seen all the time, and the busiest
    // (~38 % of the calls) needs the 76 million tokens of a 30 s period (capacity × period is
    // bounded by 2^61 ns).
    // expiring: a million tokens refilled at a million a second, so a key is idle a microsecond
    // after its call and is dropped and created again by the time a rarely seen user returns
    limiter = limiter(LimitSpec.tokenBucket(KEY_CAPACITY, 1, KEY_PERIOD),
        LimitSpec.tokenBucket(TOOL_CAPACITY, 1, TOOL_PERIOD));
    LimitSpec expiring = LimitSpec.tokenBucket(1_000_000, 1_000_000, Duration.ofSeconds(1));
    expiringLimiter = limiter(expiring, expiring);
    calls = new CallContext[users];
    int[] allocation = new int[users];
    for (int i = 0; i < users; i++) {
      allocation[i] = i;
    }
    if ("random".equals(identities)) {
      Random rnd = new Random(7);
      for (int i = users - 1; i > 0; i--) {
        int j = rnd.nextInt(i + 1);
        int t = allocation[i];
        allocation[i] = allocation[j];
        allocation[j] = t;
      }
    } else if (!"memory".equals(identities)) {
      throw new IllegalArgumentException("identities must be random or memory, but was " + identities);
    }
    for (int i : allocation) { // user i's objects are allocated at the i-th place of this order
      calls[i] = CallContext.tool(TOOLS[i % TOOLS.length])
          .user("user-" + i).tenant("tenant-" + (i % 10_000)).build();
    }
    order = Zipf.samples(users, 1.0, ORDER_LENGTH, 42);
    mapUser = new ConcurrentHashMap<>();
    mapTool = new ConcurrentHashMap<>();
    mapTenant = new ConcurrentHashMap<>();
    cacheUser = cache();
    cacheTool = cache();
    cacheTenant = cache();
    bucketsUser = buckets();
    bucketsTool = buckets();
    bucketsTenant = buckets();
  }

  /**
   * Walks the whole order once through the structure {@code benchmark} measures, so that its trial
   * starts with every key of the order present: the live-key case (and its peers) then measures
   * decisions that find their keys from the first iteration on, whatever the machine's speed.
   * Otherwise how many first sights fell into the measurement would depend on how far the warm-up
   * iterations got through the 4M-call order (a slow run measured some key creation in
   * {@code decide}: 64.2 B/op against the 64.0 of a decision that finds its keys). Key creation has
   * its own row, {@code decideExpiringKeys}, which is therefore not warmed.
   */
  void warmUp(String benchmark) {
    Cursor c = new Cursor();
    for (int i = 0; i < ORDER_LENGTH; i++) {
      switch (benchmark) {
        case "decide", "decide2Threads" -> decide(c);
        case "bucket4jInCaffeine" -> bucket4jInCaffeine(c);
        case "floorConcurrentHashMap", "floorConcurrentHashMap2Threads" -> floorConcurrentHashMap(c);
        case "floorCaffeine" -> floorCaffeine(c);
        default -> {
          return;
        }
      }
    }
  }

  private static RateLimiter limiter(LimitSpec perKey, LimitSpec perTool) {
    RateLimitPolicy policy = RateLimitPolicy.builder()
        .rule(Rule.builder("per user").key(KeyResolvers.user()).limit(perKey).build())
        .rule(Rule.builder("per tool").key(KeyResolvers.tool()).limit(perTool).build())
        .rule(Rule.builder("per tenant").key(KeyResolvers.tenant()).limit(perKey).build())
        .build();
    return RateLimiter.builder(policy).build(); // the default store, as a user gets it
  }

  /** Bucket4j's per-key recipe: a Caffeine cache of lock-free buckets, expiring after access. */
  private static Cache<String, Bucket> buckets() {
    return Caffeine.newBuilder().maximumSize(1_000_000).expireAfterAccess(Duration.ofMinutes(20)).build();
  }

  /** The live case's limit, in Bucket4j. */
  private static Bucket newBucket(long capacity, Duration period) {
    return Bucket.builder()
        .addLimit(Bandwidth.builder().capacity(capacity).refillGreedy(1, period).build())
        .build();
  }

  /** Bounded, expiring on access, maintenance on the calling thread: as the store's caches. */
  private static Cache<String, AtomicLong> cache() {
    return Caffeine.newBuilder().maximumSize(1_000_000).executor(Runnable::run)
        .expireAfterAccess(Duration.ofMinutes(20)).build();
  }

  /**
   * Where a thread is in the call order. Each thread starts at its own offset, thread {@code i} of
   * {@code n} at {@code i * ORDER_LENGTH / n}: concurrent callers are different agents, so the
   * threads walk different stretches of the same Zipf sequence (independent draws from one
   * distribution, which still meet on the hot users, tenants and tools). With one start for all,
   * the threads would walk the same keys in lockstep, a contention no real server sees.
   */
  @State(Scope.Thread)
  public static class Cursor {
    int next;

    @Setup(Level.Trial)
    public void start(ThreadParams thread) {
      next = (int) ((long) thread.getThreadIndex() * ORDER_LENGTH / thread.getThreadCount());
    }
  }

  private CallContext next(Cursor c) {
    int[] o = order;
    return calls[o[c.next++ & (o.length - 1)]];
  }

  private static Decision decide(RateLimiter limiter, CallContext call) {
    Decision d = limiter.acquire(call);
    if (d instanceof Decision.Granted g) {
      g.commit();
    }
    return d;
  }

  @Benchmark
  @Threads(1)
  public Decision decide(Cursor c) {
    return decide(limiter, next(c));
  }

  @Benchmark
  @Threads(2)
  public Decision decide2Threads(Cursor c) {
    return decide(limiter, next(c));
  }

  @Benchmark
  @Threads(1)
  public Decision decideExpiringKeys(Cursor c) {
    return decide(expiringLimiter, next(c));
  }

  @Benchmark
  @Threads(1)
  public boolean bucket4jInCaffeine(Cursor c) {
    CallContext call = next(c);
    boolean user = bucketsUser.get(call.user(), k -> newBucket(KEY_CAPACITY, KEY_PERIOD)).tryConsume(1);
    boolean tool = bucketsTool.get(call.target(), k -> newBucket(TOOL_CAPACITY, TOOL_PERIOD)).tryConsume(1);
    boolean tenant = bucketsTenant.get(call.tenant(), k -> newBucket(KEY_CAPACITY, KEY_PERIOD)).tryConsume(1);
    return user & tool & tenant;
  }

  @Benchmark
  @Threads(1)
  public long floorConcurrentHashMap(Cursor c) {
    CallContext call = next(c);
    return mapUser.computeIfAbsent(call.user(), k -> new AtomicLong()).incrementAndGet()
        + mapTool.computeIfAbsent(call.target(), k -> new AtomicLong()).incrementAndGet()
        + mapTenant.computeIfAbsent(call.tenant(), k -> new AtomicLong()).incrementAndGet();
  }

  @Benchmark
  @Threads(2)
  public long floorConcurrentHashMap2Threads(Cursor c) {
    return floorConcurrentHashMap(c);
  }

  @Benchmark
  @Threads(1)
  public long floorCaffeine(Cursor c) {
    CallContext call = next(c);
    return cacheUser.get(call.user(), k -> new AtomicLong()).incrementAndGet()
        + cacheTool.get(call.target(), k -> new AtomicLong()).incrementAndGet()
        + cacheTenant.get(call.tenant(), k -> new AtomicLong()).incrementAndGet();
  }
}
