package dev.mcpratelimit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.internal.seam.Seams;
import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.Mode;
import dev.mcpratelimit.RateLimitListener;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Store contract, part of {@link StoreContract}: Listener exceptions and store failures: fail open or closed, reported.
 */
public abstract class FailureContract extends WaitingContract {
  @Test
  void listenerExceptionsNeverBreakACall() throws Exception {
    RateLimitListener angry = new RateLimitListener() {
      @Override
      public void onGranted(CallContext call, Decision.Granted decision) {
        throw new IllegalStateException("boom");
      }

      @Override
      public void onDenied(CallContext call, Decision.Denied denial) {
        throw new IllegalStateException("boom");
      }

      @Override
      public void onShadowDenied(CallContext call, Decision.Denied wouldBe) {
        throw new IllegalStateException("boom");
      }

      @Override
      public void onWaited(CallContext call, long waitedNanos) {
        throw new IllegalStateException("boom");
      }

      @Override
      public void onEvicted(String rule) {
        throw new IllegalStateException("boom");
      }

      @Override
      public void onStoreError(Throwable error) {
        throw new IllegalStateException("boom");
      }
    };
    LimitSpec bucket = LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(1));
    RateLimitPolicy policy = RateLimitPolicy.builder()
        .rule(Rule.builder("b").maxWait(Duration.ofSeconds(1)).limit(bucket).build())
        .rule(Rule.builder("s").mode(Mode.SHADOW).limit(frozen(1)).build())
        .build();
    RateLimiter l = Seams.sleeper(RateLimiter.builder(policy).clock(clock).store(store).listener(angry).listener(events), n -> advance(clock, Duration.ofNanos(n))).build();
    CallContext c = call("x", "u");
    assertTrue(take(l, c));
    assertEquals(1, events.granted.get(), "the next listener still hears every event");
    assertFalse(l.acquire(c).isGranted());
    assertEquals(1, events.denied.size());
    assertTrue(l.acquireBlocking(c).isGranted(), "waited, with a shadow denial, despite the listener");
    assertEquals(List.of(SECOND), events.waited);
    assertEquals(1, events.shadowDenied.size());

    RateLimiter failing = RateLimiter.builder(policy).clock(clock).store(failingStore(b -> true))
        .listener(angry).listener(events).build();
    assertTrue(failing.acquire(c).isGranted());
    assertEquals(1, events.storeErrors.size());
  }

  @Test
  void storeFailureFailsOpenOrClosedAndIsReported() {
    for (RateLimitPolicy.FailureMode mode : RateLimitPolicy.FailureMode.values()) {
      Recorder seen = new Recorder();
      RateLimitPolicy policy = RateLimitPolicy.builder().failureMode(mode)
          .rule(Rule.builder("b").limit(frozen(1)).build()).build();
      RateLimiter l = RateLimiter.builder(policy).clock(clock).store(failingStore(b -> true)).listener(seen).build();
      Decision d = l.acquire(call("x", "u"));
      assertEquals(1, seen.storeErrors.size(), mode.toString());
      assertEquals("store down", seen.storeErrors.get(0).getMessage());
      if (mode == RateLimitPolicy.FailureMode.FAIL_OPEN) {
        Decision.Granted g = granted(d);
        g.commit();
        g.release();
        assertTrue(g.isSettled());
        assertEquals(1, seen.granted.get());
      } else {
        Decision.Denied denied = denied(d);
        assertEquals(DenialReason.STORE_UNAVAILABLE, denied.reason());
        assertEquals("store", denied.rule());
        assertEquals(List.of(), denied.scope());
        assertFalse(denied.message().isBlank());
        assertEquals(List.of(denied), seen.denied);
      }
    }
  }

  @Test
  void aShadowStoreFailureIsReportedButInventsNoDenials() {
    Rule real = Rule.builder("real").limit(frozen(5)).build();
    Rule shadow = Rule.builder("shadowy").mode(Mode.SHADOW).limit(frozen(5)).build();
    LimiterStore flaky = failingStore(b -> b.rule(0).equals("shadowy"));
    RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().rule(real).rule(shadow).build())
        .clock(clock).store(flaky).listener(events).build();
    CallContext c = call("x", "u");
    Decision.Granted g = granted(l.acquire(c));
    assertEquals(1, events.storeErrors.size());
    assertTrue(g.shadowDenials().isEmpty(), "a failed shadow check is not a would-be denial: " + g.shadowDenials());
    assertTrue(events.shadowDenied.isEmpty());
    g.release();
    assertEquals(5, remaining(real, c));
  }

  /** The real store, except that {@code acquire} throws for batches that {@code fails} selects. */
  private LimiterStore failingStore(java.util.function.Predicate<Batch> fails) {
    LimiterStore real = store;
    return new LimiterStore() {
      @Override
      public @Nullable Ticket acquire(Batch batch) {
        if (fails.test(batch)) {
          throw new IllegalStateException("store down");
        }
        return real.acquire(batch);
      }

      @Override
      public long keyCount() {
        return real.keyCount();
      }
    };
  }
}
