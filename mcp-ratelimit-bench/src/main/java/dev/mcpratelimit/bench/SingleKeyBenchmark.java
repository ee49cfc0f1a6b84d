package dev.mcpratelimit.bench;

import com.google.common.util.concurrent.RateLimiter;
import dev.mcpratelimit.Clock;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.spi.LimitState;
import dev.mcpratelimit.spi.Probe;
import dev.mcpratelimit.WindowUnit;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One decision on one pre-resolved key, per algorithm, granted and denied, 1 and 2 threads,
 * beside Bucket4j (lock-free local bucket, {@code tryConsumeAndReturnRemaining}), Resilience4j
 * {@code AtomicRateLimiter} and Guava {@code RateLimiter} in the same run.
 *
 * <p>"Granted" limiters have so much capacity that every call succeeds; "denied" ones are drained
 * and refill once an hour. Our limiters read {@link Clock#system()} once per call, as the engine
 * does, and write into a per-thread {@link Probe}. Targets (docs/architecture.md): token bucket at 1 thread ≤
 * 0.8 × Bucket4j ns/op at 0 B/op; at 2 threads ≥ 1.5 × Bucket4j throughput.
 *
 * <p>Run: {@code java -jar mcp-ratelimit-bench/target/benchmarks.jar SingleKeyBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class SingleKeyBenchmark {
  static final Clock CLOCK = Clock.system();
  static final long HUGE = 1L << 40;

  LimitState gcraGranted;
  LimitState gcraDenied;
  LimitState slidingGranted;
  LimitState slidingDenied;
  LimitState exactDenied;
  LimitState calendarGranted;
  LimitState calendarDenied;
  LimitState concurrency;
  Bucket bucket4jGranted;
  Bucket bucket4jDenied;
  AtomicRateLimiter r4jGranted;
  AtomicRateLimiter r4jDenied;
  RateLimiter guavaGranted;
  RateLimiter guavaDenied;

  @State(Scope.Thread)
  public static class PerThread {
    final Probe probe = new Probe();
  }

  @Setup
  public void setUp() {
    gcraGranted = LimitState.of(LimitSpec.tokenBucket(HUGE, HUGE, Duration.ofNanos(HUGE)));
    gcraDenied = LimitState.of(LimitSpec.tokenBucket(10, 1, Duration.ofHours(1)));
    gcraDenied.tryAcquire(10, CLOCK.nanos(), null);
    slidingGranted = LimitState.of(LimitSpec.slidingWindow(HUGE, Duration.ofSeconds(1)));
    slidingDenied = LimitState.of(LimitSpec.slidingWindow(10, Duration.ofHours(1)));
    slidingDenied.tryAcquire(10, CLOCK.nanos(), null);
    exactDenied = LimitState.of(LimitSpec.exactSlidingWindow(10, Duration.ofHours(1)));
    exactDenied.tryAcquire(10, CLOCK.nanos(), null);
    calendarGranted = LimitState.of(LimitSpec.calendarWindow(LimitSpec.MAX_CALENDAR_WINDOW_LIMIT, WindowUnit.MINUTE));
    calendarDenied = LimitState.of(LimitSpec.calendarWindow(10, WindowUnit.DAY));
    calendarDenied.tryAcquire(10, CLOCK.nanos(), null);
    concurrency = LimitState.of(LimitSpec.concurrency(1_000_000));
    bucket4jGranted = Bucket.builder()
        .addLimit(Bandwidth.builder().capacity(HUGE).refillGreedy(HUGE, Duration.ofNanos(HUGE)).build()).build();
    bucket4jDenied = Bucket.builder()
        .addLimit(Bandwidth.builder().capacity(10).refillGreedy(1, Duration.ofHours(1)).build()).build();
    bucket4jDenied.tryConsume(10);
    r4jGranted = new AtomicRateLimiter("granted", RateLimiterConfig.custom()
        .limitForPeriod(Integer.MAX_VALUE).limitRefreshPeriod(Duration.ofSeconds(1)).timeoutDuration(Duration.ZERO).build());
    r4jDenied = new AtomicRateLimiter("denied", RateLimiterConfig.custom()
        .limitForPeriod(1).limitRefreshPeriod(Duration.ofHours(1)).timeoutDuration(Duration.ZERO).build());
    r4jDenied.acquirePermission();
    guavaGranted = RateLimiter.create(1e12);
    guavaDenied = RateLimiter.create(1.0 / 3600);
    guavaDenied.tryAcquire();
  }

  // ---------------------------------------------------------------- token bucket (GCRA) vs peers

  @Benchmark
  public boolean gcraGranted(PerThread t) {
    return gcraGranted.tryAcquire(1, CLOCK.nanos(), t.probe);
  }

  @Benchmark
  public boolean gcraDenied(PerThread t) {
    return gcraDenied.tryAcquire(1, CLOCK.nanos(), t.probe);
  }

  @Benchmark
  @Threads(2)
  public boolean gcraGranted2Threads(PerThread t) {
    return gcraGranted.tryAcquire(1, CLOCK.nanos(), t.probe);
  }

  @Benchmark
  @Threads(2)
  public boolean gcraDenied2Threads(PerThread t) {
    return gcraDenied.tryAcquire(1, CLOCK.nanos(), t.probe);
  }

  /** Control: the clock read alone, which every decision above includes once. */
  @Benchmark
  public long clockRead() {
    return CLOCK.nanos();
  }

  @Benchmark
  public ConsumptionProbe bucket4jGranted() {
    return bucket4jGranted.tryConsumeAndReturnRemaining(1);
  }

  @Benchmark
  public ConsumptionProbe bucket4jDenied() {
    return bucket4jDenied.tryConsumeAndReturnRemaining(1);
  }

  @Benchmark
  @Threads(2)
  public ConsumptionProbe bucket4jGranted2Threads() {
    return bucket4jGranted.tryConsumeAndReturnRemaining(1);
  }

  @Benchmark
  @Threads(2)
  public ConsumptionProbe bucket4jDenied2Threads() {
    return bucket4jDenied.tryConsumeAndReturnRemaining(1);
  }

  @Benchmark
  public boolean resilience4jGranted() {
    return r4jGranted.acquirePermission();
  }

  @Benchmark
  public boolean resilience4jDenied() {
    return r4jDenied.acquirePermission();
  }

  @Benchmark
  @Threads(2)
  public boolean resilience4jGranted2Threads() {
    return r4jGranted.acquirePermission();
  }

  @Benchmark
  public boolean guavaGranted() {
    return guavaGranted.tryAcquire();
  }

  @Benchmark
  public boolean guavaDenied() {
    return guavaDenied.tryAcquire();
  }

  // ---------------------------------------------------------------- our other algorithms

  @Benchmark
  public boolean slidingGranted(PerThread t) {
    return slidingGranted.tryAcquire(1, CLOCK.nanos(), t.probe);
  }

  @Benchmark
  public boolean slidingDenied(PerThread t) {
    return slidingDenied.tryAcquire(1, CLOCK.nanos(), t.probe);
  }

  @Benchmark
  public boolean exactSlidingDenied(PerThread t) {
    return exactDenied.tryAcquire(1, CLOCK.nanos(), t.probe);
  }

  @Benchmark
  public boolean calendarGranted(PerThread t) {
    return calendarGranted.tryAcquire(1, CLOCK.nanos(), t.probe);
  }

  @Benchmark
  public boolean calendarDenied(PerThread t) {
    return calendarDenied.tryAcquire(1, CLOCK.nanos(), t.probe);
  }

  @Benchmark
  @Threads(2)
  public boolean calendarGranted2Threads(PerThread t) {
    return calendarGranted.tryAcquire(1, CLOCK.nanos(), t.probe);
  }

  @Benchmark
  public void concurrencyAcquireRelease(PerThread t) {
    long now = CLOCK.nanos();
    if (concurrency.tryAcquire(1, now, t.probe)) {
      concurrency.refund(1, now, now);
    }
  }
}
