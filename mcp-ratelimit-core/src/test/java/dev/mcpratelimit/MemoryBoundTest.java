package dev.mcpratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Memory bounded by bytes (issue 15, item 5), run by its own surefire execution in a JVM with
 * {@code -Xmx512m}: hostile callers send megabyte-long identities and argument values, and fill
 * many keys of an exact sliding window with a large limit. Before the fix the first ran out of
 * memory after a few hundred ids (each kept as a key) and the last after a few hundred keys (each
 * allocated its whole {@code long[100000]} log).
 */
class MemoryBoundTest {
  private static final int MB = 1 << 20;
  private final FakeClock clock = FakeClock.create();

  /** Distinct 1 MB strings, made cheaply: one shared buffer whose prefix is the index. */
  private static final class Megabytes {
    private final byte[] buf = new byte[MB];

    Megabytes() {
      java.util.Arrays.fill(buf, (byte) 'a');
    }

    String next(int i) {
      byte[] digits = Integer.toString(i).getBytes(StandardCharsets.ISO_8859_1);
      System.arraycopy(digits, 0, buf, 0, digits.length);
      buf[digits.length] = '-';
      return new String(buf, StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void megabyteIdentitiesAndArgumentValuesAreDeniedWithoutBeingKept() {
    LimiterStore store = LimiterStore.inMemory(LimiterStore.DEFAULT_MAXIMUM_KEYS, clock);
    Rule perUser = Rule.builder("per user").limit(LimitSpec.calendarWindow(1_000, WindowUnit.HOUR)).build();
    Rule perRepo = Rule.builder("per repo").targets("push").key(KeyResolvers.argument("repo"))
        .limit(LimitSpec.calendarWindow(1_000, WindowUnit.HOUR)).build();
    RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().rule(perUser).rule(perRepo).build())
        .clock(clock).store(store).build();
    Megabytes ids = new Megabytes();
    int denied = 0;
    for (int i = 0; i < 100_000; i++) {
      Decision d = l.acquire(CallContext.tool("search").user(ids.next(i)).build());
      denied += d instanceof Decision.Denied x && x.reason() == DenialReason.INVALID_KEY ? 1 : 0;
    }
    for (int i = 0; i < 10_000; i++) {
      Decision d = l.acquire(CallContext.tool("push").user("alice").arguments(Map.of("repo", ids.next(i))).build());
      denied += d instanceof Decision.Denied x && x.reason() == DenialReason.INVALID_KEY ? 1 : 0;
    }
    assertEquals(110_000, denied, "every megabyte key value is denied");
    assertTrue(store.keyCount() <= 1, "nothing of them is kept: " + store.keyCount() + " keys");
  }

  @Test
  void tenThousandKeysOfAnExactWindowOfLimit100000FitInASmallHeapAndEvictionsAreReported() {
    LimiterStore store = LimiterStore.inMemory(1_000, clock);
    AtomicLong evicted = new AtomicLong();
    Rule exact = Rule.builder("exact").limit(LimitSpec.exactSlidingWindow(100_000, Duration.ofHours(1))).build();
    RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().rule(exact).build()).clock(clock).store(store)
        .listener(new RateLimitListener() {
          @Override
          public void onEvicted(String rule) {
            evicted.incrementAndGet();
          }
        }).build();
    for (int i = 0; i < 10_000; i++) {
      Decision d = l.acquire(CallContext.tool("x").user("user-" + i).build());
      assertTrue(d.isGranted());
      ((Decision.Granted) d).commit();
    }
    assertTrue(store.keyCount() <= 1_000, "at most the key cap: " + store.keyCount());
    assertTrue(evicted.get() >= 9_000, "evictions of live keys are reported: " + evicted.get());
    assertEquals(store.liveEvictions(), evicted.get());
    // a busy key's log grows with its use, up to the limit, and the limit stays exact
    RateLimiter alone = RateLimiter.builder(RateLimitPolicy.builder().rule(exact).build()).clock(clock).build();
    CallContext busy = CallContext.tool("x").user("busy").build();
    for (int i = 0; i < 100_000; i++) {
      ((Decision.Granted) alone.acquire(busy)).commit();
    }
    assertTrue(!alone.acquire(busy).isGranted(), "the exact limit holds");
  }
}
