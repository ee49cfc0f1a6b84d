package dev.mcpratelimit.bench;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.policy.PolicyLoader;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What plan tiers cost: a tool call decided (acquire + commit, granted, in-memory store) under a
 * policy whose tool has three plan rules selected by {@code when: identity.plan eq free / pro /
 * team} (the POLICY.md pattern), beside the same tool with one rule of the same limit and no
 * {@code when}. The caller's plan is {@code free} (the first rule applies: three {@code when}
 * tests, one rule acquired) or {@code team} (the last); either way one rule is acquired, so the
 * difference to {@code flat} is the per-identity conditions loop. 1,000 tenants, called in turn;
 * limits high enough that every call is granted.
 *
 * <p>Run: {@code java -jar mcp-ratelimit-bench/target/benchmarks.jar TierBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class TierBenchmark {
  static final int TENANTS = 1_000;
  static final String LIMIT = "tokenBucket: { capacity: 1000000000, refill: 100000000/second }";

  static final String TIERED = """
      version: 1
      defaults: { key: [tenant] }
      tools:
        search:
          rules:
            - { name: free plan, %1$s, when: [{ path: identity.plan, op: eq, value: free }] }
            - { name: pro plan, %1$s, when: [{ path: identity.plan, op: eq, value: pro }] }
            - { name: team plan, %1$s, when: [{ path: identity.plan, op: eq, value: team }] }
      """.formatted(LIMIT);

  static final String FLAT = """
      version: 1
      defaults: { key: [tenant] }
      tools:
        search:
          rules:
            - { name: every plan, %s }
      """.formatted(LIMIT);

  /** The caller's plan: selects the first of the three tier rules, or the last. */
  @Param({"free", "team"})
  public String plan;

  RateLimiter tiered;
  RateLimiter flat;
  CallContext[] calls;
  int next;

  @Setup
  public void setUp() {
    tiered = limiter(TIERED);
    flat = limiter(FLAT);
    calls = new CallContext[TENANTS];
    for (int i = 0; i < TENANTS; i++) {
      calls[i] = CallContext.tool("search").tenant("tenant-" + i).attribute("plan", plan).build();
    }
    for (RateLimiter l : new RateLimiter[] {tiered, flat}) {
      if (!(l.acquire(calls[0]) instanceof Decision.Granted g)) {
        throw new IllegalStateException("the benchmark's calls must be granted");
      }
      g.commit();
    }
  }

  static RateLimiter limiter(String yaml) {
    RateLimitPolicy policy = PolicyLoader.parse(yaml, "tier-benchmark.yaml", false).policy();
    return RateLimiter.builder(policy).build();
  }

  private CallContext nextCall() {
    int i = next;
    next = i + 1 == TENANTS ? 0 : i + 1;
    return calls[i];
  }

  /** Three plan rules, one selected by {@code when} on {@code identity.plan}. */
  @Benchmark
  public Decision tiered() {
    Decision d = tiered.acquire(nextCall());
    ((Decision.Granted) d).commit();
    return d;
  }

  /** One rule with the same limit, no {@code when}: the floor. */
  @Benchmark
  public Decision flat() {
    Decision d = flat.acquire(nextCall());
    ((Decision.Granted) d).commit();
    return d;
  }
}
