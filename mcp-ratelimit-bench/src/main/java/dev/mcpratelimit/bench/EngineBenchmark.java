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
import java.util.concurrent.TimeUnit;
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
 * A full engine decision: three stacked token-bucket rules keyed on user, tool and tenant, over 1 million users in 10,000 tenants drawn from a Zipf distribution, in the default
 * in-memory store. Each operation is {@code acquire} + {@code commit}, as the MCP adapter does for
 * a successful call. Targets (DESIGN.md): ≤ 300 ns/op, ≤ 100 B/op.
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

  @Setup(Level.Trial)
  public void setUp() {
    RateLimitPolicy policy = RateLimitPolicy.builder()
        .rule(Rule.builder("per user").key(KeyResolvers.user())
            .limit(LimitSpec.tokenBucket(1_000_000, 1_000_000, Duration.ofSeconds(1))).build())
        .rule(Rule.builder("per tool").key(KeyResolvers.tool())
            .limit(LimitSpec.tokenBucket(1_000_000, 1_000_000, Duration.ofSeconds(1))).build())
        .rule(Rule.builder("per tenant").key(KeyResolvers.tenant())
            .limit(LimitSpec.tokenBucket(1_000_000, 1_000_000, Duration.ofSeconds(1))).build())
        .build();
    limiter = RateLimiter.builder(policy).store(LimiterStore.inMemory(4_000_000, Clock.system())).build();
    calls = new CallContext[users];
    for (int i = 0; i < users; i++) {
      calls[i] = CallContext.tool(TOOLS[i % TOOLS.length])
          .user("user-" + i).tenant("tenant-" + (i % 10_000)).build();
    }
    order = Zipf.samples(users, 1.0, 1 << 22, 42);
  }

  @State(Scope.Thread)
  public static class Cursor {
    int next;
  }

  @Benchmark
  @Threads(1)
  public Decision decide(Cursor c) {
    int[] o = order;
    CallContext call = calls[o[c.next++ & (o.length - 1)]];
    Decision d = limiter.acquire(call);
    if (d instanceof Decision.Granted g) {
      g.commit();
    }
    return d;
  }

  @Benchmark
  @Threads(2)
  public Decision decide2Threads(Cursor c) {
    return decide(c);
  }
}
