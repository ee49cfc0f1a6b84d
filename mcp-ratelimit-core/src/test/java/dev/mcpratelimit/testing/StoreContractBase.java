package dev.mcpratelimit.testing;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import dev.mcpratelimit.internal.seam.Seams;
import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitListener;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The lifecycle, fields and helpers of the store contract: see {@link StoreContract}.
 */
public abstract class StoreContractBase {
  protected static final long SECOND = 1_000_000_000L;

  protected FakeClock clock;
  protected LimiterStore store;
  protected final Recorder events = new Recorder();
  /** Makes the jqwik properties' keys unique per try. */
  protected final AtomicLong nonce = new AtomicLong();

  /**
   * A new, empty store for one test.
   *
   * @param clock the test's clock; a store that can take time from it should
   * @return the store
   */
  protected abstract LimiterStore newStore(FakeClock clock);

  /**
   * Moves time forward by {@code d}, for the engine and (when it uses it) the store. Also how
   * blocking waits wait.
   *
   * @param clock the clock to move
   * @param d how far
   */
  protected void advance(FakeClock clock, Duration d) {
    clock.advance(d);
  }

  @BeforeEach
  void createStore() {
    clock = FakeClock.create(); // 2026-01-01T00:00:00Z, the start of every calendar window
    store = newStore(clock);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  // ====================================================================== helpers

  /** A token bucket that regains one token per day: effectively frozen while a test runs. */
  protected static LimitSpec.TokenBucket frozen(long capacity) {
    return LimitSpec.tokenBucket(capacity, 1, Duration.ofDays(1));
  }

  /** @return a limiter on the suite's clock and store, reporting to {@link #events} */
  protected RateLimiter limiter(RateLimitPolicy policy) {
    return Seams.sleeper(RateLimiter.builder(policy).clock(clock).store(store).listener(events), nanos -> advance(clock, Duration.ofNanos(nanos))).build();
  }

  /** @return a limiter for a policy of these rules */
  protected RateLimiter limiter(Rule... rules) {
    return limiter(RateLimitPolicy.builder().rules(Arrays.asList(rules)).build());
  }

  protected static CallContext call(String tool, @Nullable String user) {
    return CallContext.tool(tool).user(user).build();
  }

  protected static CallContext call(String tool, @Nullable String user, @Nullable String tenant) {
    return CallContext.tool(tool).user(user).tenant(tenant).build();
  }

  protected static CallContext call(String tool, @Nullable String user, Map<String, ?> args) {
    return CallContext.tool(tool).user(user).tenant("t1").arguments(args).build();
  }

  protected static Decision.Granted granted(Decision d) {
    return assertInstanceOf(Decision.Granted.class, d, () -> "expected a grant, got " + d);
  }

  protected static Decision.Denied denied(Decision d) {
    return assertInstanceOf(Decision.Denied.class, d, () -> "expected a denial, got " + d);
  }

  /** Acquires and commits. @return whether it was granted */
  protected static boolean take(RateLimiter l, CallContext c) {
    if (l.acquire(c) instanceof Decision.Granted g) {
      g.commit();
      return true;
    }
    return false;
  }

  /** @return how many of {@code attempts} acquisitions were granted (each committed) */
  protected static int takeAll(RateLimiter l, CallContext c, int attempts) {
    int n = 0;
    for (int i = 0; i < attempts; i++) {
      n += take(l, c) ? 1 : 0;
    }
    return n;
  }

  /**
   * Reads a counter without changing it: a cost-0 acquisition of {@code rule}'s key for
   * {@code call}.
   *
   * @return the cost still available under {@code rule} for that caller
   */
  protected long remaining(Rule rule, CallContext call) {
    return peek(store, clock.nanos(), rule, rule.key().resolve(call));
  }

  /** @return the remaining cost of {@code rule}'s key {@code part} in {@code store} */
  protected static long peek(LimiterStore store, long now, Rule rule, @Nullable String part) {
    Batch b = new Batch().reset(now);
    b.add(rule.name(), rule.stateIdentity(), part, Objects.requireNonNull(rule.limit(), "limit"), 0, 0);
    LimiterStore.Ticket t = store.acquire(b);
    assertNotNull(t, "a peek (cost 0) is always granted");
    t.releasePermits();
    return b.probe(0).remaining();
  }

  protected static Instant at(String instant) {
    return Instant.parse(instant);
  }

  /** Moves time forward to {@code instant} through {@link #advance}. */
  protected void advanceTo(Instant instant) {
    Duration d = Duration.between(clock.instant(), instant);
    if (d.isNegative()) {
      throw new IllegalArgumentException("time only moves forward in this suite: " + clock.instant() + " -> " + instant);
    }
    advance(clock, d);
  }

  /** Moves time forward to the next hh:mm:58, two seconds before a minute window ends. */
  protected void advanceToSecond58() {
    Instant now = clock.instant();
    Instant t = now.truncatedTo(java.time.temporal.ChronoUnit.MINUTES).plusSeconds(58);
    advanceTo(t.isBefore(now) ? t.plusSeconds(60) : t);
  }

  // ====================================================================== plumbing

  /** Runs {@code body(threadIndex)} on {@code n} threads started together; rethrows the first failure. */
  protected static void runThreads(int n, ThreadBody body) throws InterruptedException {
    CountDownLatch start = new CountDownLatch(1);
    Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < n; t++) {
      int index = t;
      Thread th = new Thread(() -> {
        try {
          start.await();
          body.run(index);
        } catch (Throwable e) {
          failures.add(e);
        }
      }, "store-contract-" + t);
      th.start();
      threads.add(th);
    }
    start.countDown();
    for (Thread th : threads) {
      th.join(TimeUnit.SECONDS.toMillis(60));
      if (th.isAlive()) {
        fail(th.getName() + " did not finish");
      }
    }
    if (!failures.isEmpty()) {
      AssertionError e = new AssertionError("a thread failed", failures.peek());
      failures.stream().skip(1).forEach(e::addSuppressed);
      throw e;
    }
  }

  /** The body of one of {@link #runThreads}'s threads. */
  @FunctionalInterface
  protected interface ThreadBody {
    void run(int threadIndex) throws Exception;
  }

  /** A listener recording every event, thread-safe. */
  public static final class Recorder implements RateLimitListener {
    public final AtomicInteger granted = new AtomicInteger();
    public final List<Decision.Denied> denied = new CopyOnWriteArrayList<>();
    public final List<String> shadowDenied = new CopyOnWriteArrayList<>();
    public final List<Long> waited = new CopyOnWriteArrayList<>();
    public final Map<String, AtomicLong> evicted = new ConcurrentHashMap<>();
    public final List<Throwable> storeErrors = new CopyOnWriteArrayList<>();

    @Override
    public void onGranted(CallContext call, Decision.Granted decision) {
      granted.incrementAndGet();
    }

    @Override
    public void onDenied(CallContext call, Decision.Denied denial) {
      denied.add(denial);
    }

    @Override
    public void onShadowDenied(CallContext call, Decision.Denied wouldBe) {
      shadowDenied.add(wouldBe.rule());
    }

    @Override
    public void onWaited(CallContext call, long waitedNanos) {
      waited.add(waitedNanos);
    }

    @Override
    public void onEvicted(String rule) {
      evicted.computeIfAbsent(rule, r -> new AtomicLong()).incrementAndGet();
    }

    @Override
    public void onStoreError(Throwable error) {
      storeErrors.add(error);
    }

    /** @return live evictions reported, over all rules */
    public long evictions() {
      return evicted.values().stream().mapToLong(AtomicLong::get).sum();
    }
  }
}
