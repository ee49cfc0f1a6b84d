package dev.mcpratelimit.bench;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Clock;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.spi.LimiterStore;
import java.time.Duration;
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

/**
 * A full engine decision: three stacked token-bucket rules keyed on user, tool and tenant, over 1
 * million users in 10,000 tenants drawn from a Zipf distribution (exponent 1), in the default
 * in-memory store. Each operation is {@code acquire} + {@code commit}, as the MCP adapter does for
 * a successful call. Targets (docs/architecture.md): ≤ 300 ns/op, ≤ 100 B/op.
 *
 * <ul>
 *   <li>{@code decide}, {@code decide2Threads}: every key stays live (the buckets take 1,000 s to
 *       refill, so no key expires during the run): the store holds the million keys and each
 *       decision finds its keys. This is the target's case.
 *   <li>{@code decideExpiringKeys}: the buckets refill in 1 s, so a rarely seen user's key has
 *       expired by its next call and is created again: the cost of the long tail's first sights.
 *   <li>{@code floorConcurrentHashMap}, {@code floorCaffeine}: controls, no rate limiting — three
 *       lookups of the same keys and an {@code AtomicLong} increment each, in a
 *       {@code ConcurrentHashMap} and in a Caffeine cache bounded and expiring as the store's are.
 *       They show what the memory traffic of a million-key working set costs on this machine
 *       before any limiter logic runs.
 * </ul>
 *
 * <p>Run: {@code java -jar mcp-ratelimit-bench/target/benchmarks.jar EngineBenchmark -prof gc}
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

  static final String[] TOOLS = {"search_code", "create_issue", "run_query"};

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

  @Setup(Level.Trial)
  public void setUp() {
    // 1,000,000 tokens per second either way, so no decision is ever denied; the capacity sets
    // how long an idle key lives: 10^9 tokens take 1,000 s to refill, 10^6 take 1 s
    limiter = limiter(1_000_000_000L);
    expiringLimiter = limiter(1_000_000L);
    calls = new CallContext[users];
    for (int i = 0; i < users; i++) {
      calls[i] = CallContext.tool(TOOLS[i % TOOLS.length])
          .user("user-" + i).tenant("tenant-" + (i % 10_000)).build();
    }
    order = Zipf.samples(users, 1.0, 1 << 22, 42);
    mapUser = new ConcurrentHashMap<>();
    mapTool = new ConcurrentHashMap<>();
    mapTenant = new ConcurrentHashMap<>();
    cacheUser = cache();
    cacheTool = cache();
    cacheTenant = cache();
  }

  private static RateLimiter limiter(long capacity) {
    LimitSpec spec = LimitSpec.tokenBucket(capacity, 1_000_000, Duration.ofSeconds(1));
    RateLimitPolicy policy = RateLimitPolicy.builder()
        .rule(Rule.builder("per user").key(KeyResolvers.user()).limit(spec).build())
        .rule(Rule.builder("per tool").key(KeyResolvers.tool()).limit(spec).build())
        .rule(Rule.builder("per tenant").key(KeyResolvers.tenant()).limit(spec).build())
        .build();
    return RateLimiter.builder(policy).store(LimiterStore.inMemory(4_000_000, Clock.system())).build();
  }

  /** Bounded, expiring on access, maintenance on the calling thread: as the store's caches. */
  private static Cache<String, AtomicLong> cache() {
    return Caffeine.newBuilder().maximumSize(4_000_000).executor(Runnable::run)
        .expireAfterAccess(Duration.ofMinutes(20)).build();
  }

  @State(Scope.Thread)
  public static class Cursor {
    int next;
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
  public long floorConcurrentHashMap(Cursor c) {
    CallContext call = next(c);
    return mapUser.computeIfAbsent(call.user(), k -> new AtomicLong()).incrementAndGet()
        + mapTool.computeIfAbsent(call.target(), k -> new AtomicLong()).incrementAndGet()
        + mapTenant.computeIfAbsent(call.tenant(), k -> new AtomicLong()).incrementAndGet();
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
