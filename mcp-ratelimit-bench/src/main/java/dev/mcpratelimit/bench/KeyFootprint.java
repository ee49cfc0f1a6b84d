package dev.mcpratelimit.bench;

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

/**
 * Retained heap per idle-but-live key in the in-memory store (heap delta): one token-bucket rule
 * keyed on user, N users each take one token (so every key holds state: a token takes 864 s to
 * come back, longer than the run, and the store drops a key only once its state is idle), then
 * the store's heap is measured after full GCs. The user-id strings are kept outside the store and excluded, as a
 * server's sessions would hold them anyway; the figure is what the limiter adds per key. Target
 * (docs/architecture.md): ≤ 100 B per key (Bucket4j: ~248 B).
 *
 * <p>Run: {@code java -Xmx4g -cp mcp-ratelimit-bench/target/benchmarks.jar
 * dev.mcpratelimit.bench.KeyFootprint 1000000 [--json results/footprint.json]} (the suite,
 * {@link Suite}, runs it with the JSON output for {@link Report}).
 */
public final class KeyFootprint {
  private KeyFootprint() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    CallContext[] calls = new CallContext[n];
    for (int i = 0; i < n; i++) {
      calls[i] = CallContext.tool("search").user("user-" + i).build();
    }
    RateLimitPolicy policy = RateLimitPolicy.builder()
        .rule(Rule.builder("per user").limit(LimitSpec.tokenBucket(100, 100, Duration.ofDays(1))).build())
        .build();
    long before = usedAfterGc();
    LimiterStore store = LimiterStore.inMemory(n * 2L, Clock.system());
    RateLimiter limiter = RateLimiter.builder(policy).store(store).build();
    for (CallContext c : calls) {
      Decision d = limiter.acquire(c);
      ((Decision.Granted) d).commit();
    }
    long after = usedAfterGc();
    long keys = store.keyCount();
    double perKey = (after - before) / (double) keys;
    System.out.printf("keys=%d retained=%d bytes, %.1f bytes per key%n", keys, after - before, perKey);
    if (args.length > 2 && "--json".equals(args[1])) {
      new ResultFile().add(KeyFootprint.class.getName() + ".retainedPerKey", perKey, "B/key")
          .write(java.nio.file.Path.of(args[2]));
    }
    if (calls.length != n || limiter.policy() == null) {
      throw new AssertionError(); // keep everything reachable until after the measurement
    }
  }

  private static long usedAfterGc() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(100);
      used = Math.min(used, rt.totalMemory() - rt.freeMemory());
    }
    return used;
  }
}
