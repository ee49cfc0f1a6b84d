package dev.mcpratelimit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.internal.seam.AsyncEngine;
import dev.mcpratelimit.internal.seam.Seams;
import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Store contract, part of {@link StoreContract}: Waiting: non-blocking reservations and blocking waits within max wait.
 */
public abstract class WaitingContract extends BackoffContract {
  @Test
  void nonBlockingReserveBooksTokenBucketSlotsInOrder() {
    Rule search = Rule.builder("search").maxWait(Duration.ofSeconds(2)).limit(LimitSpec.tokenBucket(2, 1, Duration.ofSeconds(1))).build();
    RateLimiter l = limiter(search);
    CallContext c = call("search", "u");
    List<Long> delays = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      delays.add(granted(AsyncEngine.of(l).reserve(c, AsyncEngine.FIRST_ATTEMPT)).delayNanos());
    }
    assertEquals(List.of(0L, 0L, SECOND, 2 * SECOND), delays, "each waiter gets the next slot");
    Decision.Denied d = denied(AsyncEngine.of(l).reserve(c, AsyncEngine.FIRST_ATTEMPT));
    assertFalse(d.waitable(), "3 s exceeds the 2 s max wait");
    assertEquals(3 * SECOND, d.retryAfterNanos());
    assertEquals(0, granted(l.acquire(call("search", "other"))).delayNanos(), "per user");
    assertTrue(denied(l.acquire(c)).retryAfterNanos() > 0, "acquire never books the future");
  }

  @Test
  void nonBlockingReserveOnAWindowSaysWhenToRetry() {
    advanceToSecond58();
    RateLimiter l = limiter(Rule.builder("minute").maxWait(Duration.ofSeconds(5)).limit(LimitSpec.calendarWindow(1, WindowUnit.MINUTE)).build());
    CallContext c = call("x", "u");
    assertEquals(0, granted(AsyncEngine.of(l).reserve(c, AsyncEngine.FIRST_ATTEMPT)).delayNanos());
    long startedAt = clock.nanos();
    Decision.Denied d = denied(AsyncEngine.of(l).reserve(c, AsyncEngine.FIRST_ATTEMPT));
    assertTrue(d.waitable());
    assertEquals(2 * SECOND, d.retryAfterNanos());
    advance(clock, d.retryAfter());
    assertEquals(0, granted(AsyncEngine.of(l).reserve(c, startedAt)).delayNanos(), "granted once the window reset");
    Decision.Denied late = denied(AsyncEngine.of(l).reserve(c, clock.nanos() - 4 * SECOND));
    assertFalse(late.waitable(), "60 s exceeds what is left of the max wait");
  }

  @Test
  void blockingWaitersOnATokenBucketAreServedInOrderWithinMaxWait() throws Exception {
    Rule rule = Rule.builder("b").maxWait(Duration.ofSeconds(5)).limit(LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(1))).build();
    Queue<Long> slept = new ConcurrentLinkedQueue<>();
    RateLimiter l = Seams.sleeper(RateLimiter.builder(RateLimitPolicy.builder().rule(rule).build()).clock(clock).store(store)
        .listener(events), slept::add).build(); // records, does not move the clock: all wait at once
    Queue<Decision> decisions = new ConcurrentLinkedQueue<>();
    runThreads(8, t -> {
      try {
        decisions.add(l.acquireBlocking(call("x", "u")));
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    List<Long> sorted = new ArrayList<>(slept);
    Collections.sort(sorted);
    assertEquals(List.of(SECOND, 2 * SECOND, 3 * SECOND, 4 * SECOND, 5 * SECOND), sorted,
        "one waiter per slot, in order, none beyond the max wait");
    assertEquals(6, decisions.stream().filter(Decision::isGranted).count());
    for (Decision d : decisions) {
      if (d instanceof Decision.Denied denied) {
        assertEquals(6 * SECOND, denied.retryAfterNanos());
        assertFalse(denied.waitable());
      }
    }
    List<Long> waited = new ArrayList<>(events.waited);
    Collections.sort(waited);
    assertEquals(sorted, waited, "each wait was reported");
  }

  @Test
  void sequentialBlockingWaitsNeverExceedMaxWait() throws Exception {
    RateLimiter l = limiter(Rule.builder("b").maxWait(Duration.ofSeconds(2)).limit(LimitSpec.tokenBucket(2, 1, Duration.ofSeconds(1))).build());
    long start = clock.nanos();
    for (int i = 0; i < 10; i++) {
      granted(l.acquireBlocking(call("x", "u"))).commit();
    }
    assertEquals(8 * SECOND, clock.nanos() - start, "two at once, then one per second");
    assertEquals(8, events.waited.size());
    assertTrue(events.waited.stream().allMatch(w -> w <= 2 * SECOND), events.waited.toString());

    RateLimiter slow = limiter(Rule.builder("slow").maxWait(Duration.ofSeconds(2)).limit(LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(10))).build());
    assertTrue(take(slow, call("x", "u")));
    long before = clock.nanos();
    Decision.Denied d = denied(slow.acquireBlocking(call("x", "u")));
    assertEquals(before, clock.nanos(), "a 10 s wait exceeds the 2 s max wait: denied without waiting");
    assertEquals(10 * SECOND, d.retryAfterNanos());
  }

  @Test
  void blockingWaitOnAWindowWaitsForTheResetOnlyWithinMaxWait() throws Exception {
    advanceToSecond58();
    RateLimiter l = limiter(Rule.builder("minute").maxWait(Duration.ofSeconds(5)).limit(LimitSpec.calendarWindow(1, WindowUnit.MINUTE)).build());
    CallContext c = call("x", "u");
    assertTrue(take(l, c));
    assertTrue(l.acquireBlocking(c).isGranted(), "waits 2 s for the next minute");
    assertEquals(at("2026-01-01T00:01:00Z"), clock.instant());
    assertEquals(List.of(2 * SECOND), events.waited);
    Decision.Denied d = denied(l.acquireBlocking(c));
    assertEquals(60 * SECOND, d.retryAfterNanos(), "60 s exceeds the max wait: denied at once");
    assertFalse(d.waitable());
    assertEquals(at("2026-01-01T00:01:00Z"), clock.instant());
  }

  @Test
  void aWindowWaiterOvertakenAtTheResetWaitsAgainButNeverPastMaxWait() throws Exception {
    for (long maxWaitSeconds : new long[] {65, 61}) {
      advanceToSecond58();
      Rule rule = Rule.builder("minute-" + maxWaitSeconds).maxWait(Duration.ofSeconds(maxWaitSeconds))
          .limit(LimitSpec.calendarWindow(1, WindowUnit.MINUTE)).build();
      AtomicBoolean overtaken = new AtomicBoolean();
      RateLimiter[] holder = new RateLimiter[1];
      RateLimiter l = Seams.sleeper(RateLimiter.builder(RateLimitPolicy.builder().rule(rule).build()).clock(clock).store(store), nanos -> {
            advance(clock, Duration.ofNanos(nanos));
            if (overtaken.compareAndSet(false, true)) {
              assertTrue(take(holder[0], call("x", "u")), "another caller takes the fresh window first");
            }
          }).build();
      holder[0] = l;
      assertTrue(take(l, call("x", "u")));
      long start = clock.nanos();
      Decision d = l.acquireBlocking(call("x", "u"));
      long waited = clock.nanos() - start;
      assertTrue(waited <= Duration.ofSeconds(maxWaitSeconds).toNanos(), "waited " + waited);
      if (maxWaitSeconds == 65) {
        assertTrue(d.isGranted(), "2 s + 60 s fit in 65 s");
        assertEquals(62 * SECOND, waited);
      } else {
        assertFalse(d.isGranted(), "2 s + 60 s do not fit in 61 s");
        assertEquals(2 * SECOND, waited);
      }
    }
  }

  @Test
  void anInterruptedWaitReleasesItsSlotAndThrows() {
    Rule rule = Rule.builder("b").maxWait(Duration.ofSeconds(5)).limit(LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(1))).build();
    RateLimitPolicy policy = RateLimitPolicy.builder().rule(rule).build();
    RateLimiter l = Seams.sleeper(RateLimiter.builder(policy).clock(clock).store(store).listener(events), n -> {
          throw new InterruptedException("interrupted while waiting");
        }).build();
    CallContext c = call("x", "u");
    assertTrue(take(l, c));
    assertThrows(InterruptedException.class, () -> l.acquireBlocking(c));
    assertEquals(SECOND, granted(AsyncEngine.of(l).reserve(c, AsyncEngine.FIRST_ATTEMPT)).delayNanos(),
        "the interrupted waiter's slot was released: the next waiter gets it");
    assertTrue(events.waited.isEmpty());
  }

  @Test
  void anInterruptedWindowWaitHoldsNothingAndAnInterruptedThreadDoesNotWait() {
    advanceToSecond58();
    Rule rule = Rule.builder("minute").maxWait(Duration.ofSeconds(5)).limit(LimitSpec.calendarWindow(1, WindowUnit.MINUTE)).build();
    RateLimiter l = Seams.sleeper(RateLimiter.builder(RateLimitPolicy.builder().rule(rule).build()).clock(clock).store(store), n -> {
          throw new InterruptedException();
        }).build();
    CallContext c = call("x", "u");
    assertTrue(take(l, c));
    assertThrows(InterruptedException.class, () -> l.acquireBlocking(c));
    advance(clock, Duration.ofSeconds(2));
    assertEquals(1, remaining(rule, c), "the interrupted caller holds nothing in the new window");

    Thread.currentThread().interrupt();
    try {
      assertThrows(InterruptedException.class, () -> l.acquireBlocking(c));
    } finally {
      Thread.interrupted();
    }
    assertEquals(1, remaining(rule, c), "an interrupted thread takes nothing");
  }
}
