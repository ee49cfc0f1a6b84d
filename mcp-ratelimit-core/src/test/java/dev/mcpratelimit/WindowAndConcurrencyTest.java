package dev.mcpratelimit;

import dev.mcpratelimit.spi.Probe;
import dev.mcpratelimit.spi.LimitState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Calendar windows, sliding windows (exact and estimated) and concurrency limits. */
class WindowAndConcurrencyTest {
  static long nanos(Instant i) {
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  static long nanos(String iso) {
    return nanos(Instant.parse(iso));
  }

  // --------------------------------------------------------------- calendar windows

  @ParameterizedTest
  @CsvSource({
      "MINUTE, UTC, 2026-03-04T10:15:42Z, 2026-03-04T10:16:00Z",
      "HOUR, UTC, 2026-03-04T10:15:42Z, 2026-03-04T11:00:00Z",
      "DAY, UTC, 2026-03-04T10:15:42Z, 2026-03-05T00:00:00Z",
      "HOUR, Asia/Kolkata, 2026-03-04T10:15:42Z, 2026-03-04T10:30:00Z",
      "DAY, Asia/Kolkata, 2026-03-04T10:15:42Z, 2026-03-04T18:30:00Z",
      // New York spring forward: local 2026-03-08 has 23 hours
      "DAY, America/New_York, 2026-03-08T12:00:00Z, 2026-03-09T04:00:00Z",
      // New York fall back: local 2026-11-01 has 25 hours
      "DAY, America/New_York, 2026-11-01T12:00:00Z, 2026-11-02T05:00:00Z",
  })
  void calendarWindowResetsExactlyAtTheCalendarBoundary(WindowUnit unit, String zone, String at, String boundary) {
    LimitState w = LimitState.of(LimitSpec.calendarWindow(2, unit, ZoneId.of(zone)));
    long now = nanos(at);
    long end = nanos(boundary);
    Probe p = new Probe();
    assertTrue(w.tryAcquire(2, now, p));
    assertFalse(w.tryAcquire(1, now, p));
    assertEquals(end - now, p.retryAfterNanos());
    assertEquals(end, p.resetAtNanos());
    assertFalse(w.tryAcquire(1, end - 1, null), "one nanosecond before the boundary");
    assertTrue(w.tryAcquire(2, end, null), "at the boundary the window is new");
  }

  @Test
  void dstDayWindowsAreLocalDays() {
    ZoneId ny = ZoneId.of("America/New_York");
    LimitState w = LimitState.of(LimitSpec.calendarWindow(1, WindowUnit.DAY, ny));
    long start = nanos(ZonedDateTime.of(2026, 3, 8, 0, 0, 0, 0, ny).toInstant());
    long next = nanos(ZonedDateTime.of(2026, 3, 9, 0, 0, 0, 0, ny).toInstant());
    assertEquals(Duration.ofHours(23).toNanos(), next - start);
    assertTrue(w.tryAcquire(1, start, null));
    assertFalse(w.tryAcquire(1, next - 1, null));
    assertTrue(w.tryAcquire(1, next, null));
  }

  @Property(tries = 200)
  void calendarWindowNeverExceedsItsLimitPerWindow(
      @ForAll @IntRange(min = 1, max = 20) int limit,
      @ForAll @Size(max = 300) List<@LongRange(min = 0, max = 20_000_000_000L) Long> steps,
      @ForAll @Size(max = 300) List<@IntRange(min = 0, max = 5) Integer> costs) {
    LimitState w = LimitState.of(LimitSpec.calendarWindow(limit, WindowUnit.MINUTE));
    long now = nanos("2026-01-01T00:00:00Z");
    java.util.Map<Long, Long> perWindow = new java.util.HashMap<>();
    for (int i = 0; i < Math.min(steps.size(), costs.size()); i++) {
      now += steps.get(i);
      if (w.tryAcquire(costs.get(i), now, null)) {
        long win = Math.floorDiv(now, 60_000_000_000L);
        long sum = perWindow.merge(win, (long) costs.get(i), Long::sum);
        assertTrue(sum <= limit, "window " + win + " granted " + sum + " > " + limit);
      }
    }
  }

  // ------------------------------------------------------------------ sliding windows

  @Property(tries = 200)
  void exactSlidingWindowNeverExceedsLimitInAnyWindowInterval(
      @ForAll @IntRange(min = 1, max = 10) int limit,
      @ForAll @Size(max = 200) List<@LongRange(min = 0, max = 3_000_000_000L) Long> steps,
      @ForAll @Size(max = 200) List<@IntRange(min = 0, max = 4) Integer> costs) {
    long window = 10_000_000_000L;
    LimitState w = LimitState.of(LimitSpec.exactSlidingWindow(limit, Duration.ofNanos(window)));
    long now = nanos("2026-01-01T00:00:00Z");
    List<long[]> grants = new ArrayList<>();
    Probe p = new Probe();
    for (int i = 0; i < Math.min(steps.size(), costs.size()); i++) {
      now += steps.get(i);
      int cost = costs.get(i);
      if (w.tryAcquire(cost, now, p)) {
        grants.add(new long[] {now, cost});
        long t = now;
        long inWindow = grants.stream().filter(g -> t - g[0] < window).mapToLong(g -> g[1]).sum();
        assertTrue(inWindow <= limit);
      } else if (cost <= limit) {
        long retry = p.retryAfterNanos();
        assertTrue(retry > 0);
        LimitState twin = replay(limit, window, grants);
        assertFalse(twin.tryAcquire(cost, now + retry - 1, null));
        assertTrue(twin.tryAcquire(cost, now + retry, null));
      } else {
        assertEquals(Probe.NEVER, p.retryAfterNanos());
      }
    }
  }

  private static LimitState replay(int limit, long window, List<long[]> grants) {
    LimitState w = LimitState.of(LimitSpec.exactSlidingWindow(limit, Duration.ofNanos(window)));
    for (long[] g : grants) {
      assertTrue(w.tryAcquire(g[1], g[0], null));
    }
    return w;
  }

  /**
   * The two-counter estimate against the exact log on a bursty, agent-like trace: bursts of
   * dozens of calls within a second separated by idle gaps, several agents on one key.
   */
  @Test
  void slidingWindowEstimateAgreesWithExactLogOnBurstyAgentTrace() {
    Random r = new Random(20261122);
    long window = Duration.ofMinutes(1).toNanos();
    LimitState estimate = LimitState.of(LimitSpec.slidingWindow(100, Duration.ofNanos(window)));
    LimitState exact = LimitState.of(LimitSpec.exactSlidingWindow(100, Duration.ofNanos(window)));
    long now = nanos("2026-01-01T00:00:00Z");
    long attempts = 0;
    long wrong = 0;
    while (attempts < 200_000) {
      int burst = 10 + r.nextInt(50);
      for (int i = 0; i < burst; i++) {
        now += r.nextInt(20_000_000); // up to 20 ms apart
        boolean a = estimate.tryAcquire(1, now, null);
        boolean b = exact.tryAcquire(1, now, null);
        attempts++;
        if (a != b) {
          wrong++;
        }
      }
      now += (1 + r.nextInt(300)) * 1_000_000_000L; // idle 1 s .. 5 min
    }
    double rate = 100.0 * wrong / attempts;
    System.out.printf("sliding-window estimate vs exact log: %d of %d decisions differ (%.4f %%)%n", wrong, attempts, rate);
    assertTrue(rate < 2.0, "estimate disagrees with the exact log on " + rate + " % of decisions");
  }

  // ------------------------------------------------------------------ concurrency

  @Property(tries = 200)
  void concurrencyNeverExceedsMaxInFlight(
      @ForAll @IntRange(min = 1, max = 5) int max,
      @ForAll @Size(max = 200) List<@IntRange(min = -3, max = 3) Integer> ops) {
    LimitState c = LimitState.of(LimitSpec.concurrency(max));
    List<Integer> held = new ArrayList<>();
    long model = 0;
    Probe p = new Probe();
    for (int op : ops) {
      if (op > 0) {
        boolean ok = c.tryAcquire(op, 0, p);
        assertEquals(model + op <= max, ok);
        if (ok) {
          held.add(op);
          model += op;
        }
        assertEquals(max - model, p.remaining());
      } else if (!held.isEmpty()) {
        int cost = held.remove(held.size() - 1);
        c.refund(cost, 0, 0);
        model -= cost;
      }
      assertTrue(model <= max);
    }
    c.tryAcquire(0, 0, p);
    assertEquals(max - model, p.remaining(), "refunds restore exactly");
  }
}
