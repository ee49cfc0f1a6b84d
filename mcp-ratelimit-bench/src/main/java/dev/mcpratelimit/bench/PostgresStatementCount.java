package dev.mcpratelimit.bench;

import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimiter;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import java.nio.file.Path;
import java.util.Locale;

/**
 * PostgreSQL round trips per decision: for each library, exactly N decisions (default 2,000; the
 * workload of {@link PostgresBenchmark}, three stacked token buckets, every decision a grant) by
 * one caller, counting the statements executed and the commits/rollbacks sent through the shared
 * pool (each a network round trip; pgjdbc sends {@code BEGIN} along with a transaction's first
 * statement). Setup (our schema, Bucket4j's table) is not counted.
 *
 * <p>Writes a JSON file shaped like JMH's results, read by {@link Report}: benchmarks
 * {@code dev.mcpratelimit.bench.PostgresStatementCount.ours} and {@code .bucket4j}; score: round
 * trips per decision.
 *
 * <p>Run: {@code java -cp mcp-ratelimit-bench/target/benchmarks.jar
 * dev.mcpratelimit.bench.PostgresStatementCount [--decisions N] [OUTPUT.json]} (default output
 * {@code target/postgres-round-trips.json}; {@code JDBC_URL} to use an existing server).
 */
public final class PostgresStatementCount {
  private static final String PKG = PostgresStatementCount.class.getName() + ".";

  private PostgresStatementCount() {}

  /**
   * Counts.
   *
   * @param args {@code [--decisions N] [output file]}
   * @throws Exception if PostgreSQL cannot be started or a decision fails
   */
  public static void main(String[] args) throws Exception {
    int n = 2_000;
    Path out = Path.of("target/postgres-round-trips.json");
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--decisions") && i + 1 < args.length) {
        n = Integer.parseInt(args[++i]);
      } else {
        out = Path.of(args[i]);
      }
    }
    ResultFile results = new ResultFile();
    try (PostgresFixture pg = PostgresFixture.start()) {
      RedisFixture.Failures failures = new RedisFixture.Failures();
      RateLimiter ours = pg.ours(failures);
      ProxyManager<Long> b4j = pg.bucket4j();
      pg.bucket4jDecide(b4j, 0); // warm both up outside the count
      take(ours, pg, 0);
      long before = pg.pool.roundTrips.sum();
      for (int i = 0; i < n; i++) {
        if (!take(ours, pg, pg.order[i % pg.order.length])) {
          throw new IllegalStateException("ours denied a decision: " + failures.lastError);
        }
      }
      double oursPer = (pg.pool.roundTrips.sum() - before) / (double) n;
      before = pg.pool.roundTrips.sum();
      for (int i = 0; i < n; i++) {
        if (!pg.bucket4jDecide(b4j, pg.order[i % pg.order.length])) {
          throw new IllegalStateException("Bucket4j refused a decision");
        }
      }
      double b4jPer = (pg.pool.roundTrips.sum() - before) / (double) n;
      ours.store().close();
      System.out.printf(Locale.ROOT, "round trips per decision, 3 rules, %d decisions: ours %.2f, Bucket4j %.2f%n",
          n, oursPer, b4jPer);
      results.add(PKG + "ours", oursPer, "round trips/decision");
      results.add(PKG + "bucket4j", b4jPer, "round trips/decision");
    }
    results.write(out);
  }

  private static boolean take(RateLimiter l, PostgresFixture pg, int i) {
    if (l.acquire(pg.calls[i]) instanceof Decision.Granted g) {
      g.commit();
      return true;
    }
    return false;
  }
}
