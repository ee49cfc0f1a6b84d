package dev.mcpratelimit.cli.bench;

import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.cli.internal.VirtualClock;
import dev.mcpratelimit.policy.PolicyLoader;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One full decision of the user's policy (rule lookup, conditions, keys, costs, the in-memory
 * store, commit), cycling through the workload's calls on a virtual clock that follows their times,
 * so the mix of grants and denials is the one the workload would see.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PolicyBenchmark {
  /** The policy file. */
  @Param("")
  public String policy = "";
  /** A trace file, or empty for synthetic traffic. */
  @Param("")
  public String trace = "";
  /** The synthetic traffic's settings (see {@link Workload#synthetic}). */
  @Param("")
  public String synthetic = "";

  private RateLimiter limiter;
  private VirtualClock clock;
  private Workload work;
  private int next;
  private long lap;

  /** Loads the policy and the workload. */
  @Setup(Level.Trial)
  public void setUp() {
    RateLimitPolicy p = PolicyLoader.load(Path.of(policy)).policy();
    work = trace.isEmpty() ? Workload.synthetic(p, synthetic) : Workload.fromTrace(Path.of(trace));
    clock = new VirtualClock(work.times[0]);
    limiter = RateLimiter.builder(p).clock(clock).build();
  }

  /** @return the decision (consumed by JMH) */
  @Benchmark
  public Decision decide() {
    int i = next;
    clock.set(work.times[i] + lap);
    if (++next == work.calls.length) {
      next = 0;
      lap += work.span;
    }
    Decision d = limiter.acquire(work.calls[i]);
    if (d instanceof Decision.Granted g) {
      g.commit();
    }
    return d;
  }
}
