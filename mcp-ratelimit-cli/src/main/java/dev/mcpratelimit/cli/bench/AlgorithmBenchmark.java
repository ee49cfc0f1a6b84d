package dev.mcpratelimit.cli.bench;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.spi.LimitState;
import dev.mcpratelimit.spi.Probe;
import dev.mcpratelimit.Rule;
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
 * One rule's algorithm alone: a single {@link LimitState} of the rule's limit taking cost 1, with the
 * time advancing by the limit's sustained interval (window / limit) per call, so it runs near its
 * limit; a concurrency permit is given back at once.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AlgorithmBenchmark {
  /** The policy file. */
  @Param("")
  public String policy = "";
  /** The rule's name. */
  @Param("")
  public String rule = "";

  private LimitState limiter;
  private final Probe probe = new Probe();
  private long now = 1_767_225_600_000_000_000L;
  private long step;
  private boolean permits;

  /** Builds the rule's limiter. */
  @Setup(Level.Trial)
  public void setUp() {
    LimitSpec spec = null;
    for (Rule r : PolicyLoader.load(Path.of(policy)).policy().rules()) {
      if (r.name().equals(rule)) {
        spec = r.limit();
      }
    }
    if (spec == null) {
      throw new IllegalArgumentException("no limit rule named '" + rule + "' in " + policy);
    }
    limiter = LimitState.of(spec);
    permits = spec instanceof LimitSpec.Concurrency;
    step = spec.window() == null ? 1000 : Math.max(1, spec.window().toNanos() / spec.limit());
  }

  /** @return whether it was granted (consumed by JMH) */
  @Benchmark
  public boolean tryAcquire() {
    long t = now += step;
    boolean granted = limiter.tryAcquire(1, t, probe);
    if (granted && permits) {
      limiter.refund(1, t, t);
    }
    return granted;
  }
}
