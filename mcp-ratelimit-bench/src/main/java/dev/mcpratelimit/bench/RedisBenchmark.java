package dev.mcpratelimit.bench;

import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimiter;
import java.io.IOException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decisions per second on Redis, 16 concurrent callers, three stacked token-bucket rules keyed on
 * user, tool and tenant ({@value RedisFixture#USERS} users over {@value RedisFixture#TENANTS}
 * tenants and 3 tools, Zipf-distributed; each thread starts at its own random point of the order):
 *
 * <ul>
 *   <li>{@code ours}: our {@link RateLimiter} on {@code RedisLimiterStore}; each operation is
 *       {@code acquire} + {@code commit}, as the MCP adapter does for a successful call. One
 *       {@code EVALSHA} checks and takes all three rules atomically.
 *   <li>{@code bucket4j}: Bucket4j's Lettuce integration ({@code Bucket4jLettuce.casBasedBuilder},
 *       compare-and-swap based), one bucket per key. Bucket4j has no atomic operation over several
 *       buckets, so a decision consumes from the user's, the tool's and the tenant's bucket in turn,
 *       as a Bucket4j user would write it. That is also <b>not all-or-nothing</b>: when a later
 *       bucket refuses, the tokens taken from the earlier ones are kept.
 * </ul>
 *
 * <p>Both run on the same kind of server: each trial starts a fresh redis-server from the
 * embedded-redis artifact on a free port (or uses {@code REDIS_URL}, flushed), stopped at teardown.
 * Each library has one Lettuce connection shared by the 16 threads (Lettuce pipelines them). The
 * limits are generous (1,000,000 per second per key) so every decision is a grant; a teardown check
 * fails the run if any decision was denied or hit a store error (the policy is {@code FAIL_CLOSED},
 * so an error never passes as a grant). The hot keys (3 tools, a few big tenants) are shared by all
 * threads, as in production: Bucket4j's compare-and-swap retries under that contention, which is
 * part of what is measured. Target (docs/architecture.md): ours ≥ 2 × Bucket4j's decisions per second; the
 * commands each decision costs are counted by {@link RedisCommandCount}.
 *
 * <p>Run: {@code java -jar mcp-ratelimit-bench/target/benchmarks.jar RedisBenchmark}
 * (short check: add {@code -f 1 -wi 1 -w 2s -i 1 -r 3s}; against an existing server: set
 * {@code REDIS_URL=redis://host:6379} — it is flushed).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(16)
public class RedisBenchmark {

  RedisFixture redis;
  RateLimiter ours;
  RedisFixture.Failures oursFailures;
  RedisFixture.Bucket4jSide bucket4j;
  final LongAdder bucket4jRefused = new LongAdder();

  private static final AtomicLong SEEDS = new AtomicLong(7);

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    redis = RedisFixture.start();
    oursFailures = new RedisFixture.Failures();
    ours = redis.ours(oursFailures);
    bucket4j = redis.bucket4j();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    String problem = null;
    try {
      long denied = oursFailures.denied.sum();
      long errors = oursFailures.storeErrors.sum();
      long refused = bucket4jRefused.sum();
      if (denied + errors + refused > 0) {
        problem = String.format("expected only grants, but ours denied %d (%d store errors, last: %s)"
            + " and Bucket4j refused %d", denied, errors, oursFailures.lastError, refused);
      }
      System.out.printf("%nRedis keys at teardown: %d%n", redis.dbSize());
      ours.store().close();
      bucket4j.close();
    } finally {
      redis.close(); // stops redis-server
    }
    if (problem != null) {
      throw new IllegalStateException(problem);
    }
  }

  /** Each thread's position in the shared key order, starting at a random point. */
  @State(Scope.Thread)
  public static class Cursor {
    int next;

    @Setup(Level.Trial)
    public void setUp() {
      next = new SplittableRandom(SEEDS.getAndIncrement()).nextInt(RedisFixture.ORDER);
    }

    int nextIndex(int[] order) {
      return order[next++ & (order.length - 1)];
    }
  }

  /**
   * Our decision: one {@code EVALSHA} for three rules, then commit (no further command).
   *
   * @param c this thread's cursor
   * @return the decision
   */
  @Benchmark
  public Decision ours(Cursor c) {
    Decision d = ours.acquire(redis.calls[c.nextIndex(redis.order)]);
    if (d instanceof Decision.Granted g) {
      g.commit();
    }
    return d;
  }

  /**
   * Bucket4j's decision: consume 1 from each of three buckets in turn.
   *
   * @param c this thread's cursor
   * @return whether all three granted
   */
  @Benchmark
  public boolean bucket4j(Cursor c) {
    boolean granted = bucket4j.decide(redis, c.nextIndex(redis.order));
    if (!granted) {
      bucket4jRefused.increment();
    }
    return granted;
  }
}
