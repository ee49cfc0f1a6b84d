package dev.mcpratelimit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.internal.seam.AsyncEngine;
import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.spi.Probe;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.spi.LimiterStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Store contract, part of {@link StoreContract}: What a denial carries, calendar boundaries and retry-after.
 */
public abstract class DenialFieldsContract extends FailureContract {
  @Test
  void denialCarriesEveryFieldAndTheLargestRetryAfter() {
    advanceTo(at("2026-01-01T14:20:00Z"));
    Rule minute = Rule.builder("minute").targets("create_issue").limit(LimitSpec.calendarWindow(5, WindowUnit.MINUTE)).build();
    Rule hourly = Rule.builder("hourly issue limit").targets("create_issue")
        .key(KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tool()))
        .limit(LimitSpec.calendarWindow(5, WindowUnit.HOUR)).onDeny("Hourly limit of 5 new issues reached").build();
    for (List<Rule> order : List.of(List.of(hourly, minute), List.of(minute, hourly))) {
      store.close();
      store = newStore(clock);
      RateLimiter l = limiter(RateLimitPolicy.builder().rules(order).build());
      CallContext c = call("create_issue", "alice-secret", "acme-secret");
      assertEquals(5, takeAll(l, c, 5));
      Decision.Denied d = denied(l.acquire(c));
      Rule first = order.get(0);
      assertEquals(DenialReason.RATE_LIMITED, d.reason());
      assertEquals(first.name(), d.rule(), "the first denying rule is reported");
      assertEquals(first.key().dimensions(), d.scope());
      assertEquals(5, d.limit());
      assertEquals(first == hourly ? Duration.ofHours(1) : Duration.ofMinutes(1), d.window());
      assertEquals(0, d.remaining());
      assertEquals(1, d.cost());
      assertEquals(Duration.ofMinutes(40).toNanos(), d.retryAfterNanos(), "the largest over both denying rules");
      assertEquals(first == hourly ? at("2026-01-01T15:00:00Z") : at("2026-01-01T14:21:00Z"), d.resetAt());
      if (first == hourly) {
        assertEquals("Hourly limit of 5 new issues reached", d.message());
      } else {
        assertTrue(d.message().contains("5 per minute per user") && d.message().contains("'minute'"), d.message());
      }
      assertFalse(d.toString().contains("secret"), "a denial carries no identity values: " + d);
    }
  }

  @Test
  void calendarBoundariesAreExactAndRetryAfterNeverEarlyOnEveryStore() {
    // 12.6 ms before a UTC midnight; the in-memory store on the same clock is the reference
    Instant start = at("2026-12-02T23:59:59.987397716Z");
    List<LimitSpec> specs = List.of(LimitSpec.calendarWindow(1, WindowUnit.DAY),
        LimitSpec.calendarWindow(1, WindowUnit.HOUR), LimitSpec.calendarWindow(1, WindowUnit.MINUTE),
        LimitSpec.calendarWindow(1, WindowUnit.DAY, java.time.ZoneId.of("America/New_York")),
        LimitSpec.calendarWindow(1, WindowUnit.DAY, java.time.ZoneOffset.ofHoursMinutes(5, 30)));
    List<Instant> boundaries = List.of(at("2026-12-03T00:00:00Z"), at("2026-12-03T00:00:00Z"),
        at("2026-12-03T00:00:00Z"), at("2026-12-03T05:00:00Z"), at("2026-12-03T18:30:00Z"));
    for (int i = 0; i < specs.size(); i++) {
      store.close();
      store = newStore(clock);
      clock.set(start);
      try (LimiterStore reference = LimiterStore.inMemory(1_000, clock)) {
        LimitSpec spec = specs.get(i);
        Rule rule = Rule.builder("calendar " + i).limit(spec).build();
        Decision.Denied[] denials = new Decision.Denied[2];
        LimiterStore[] stores = {store, reference};
        for (int s = 0; s < 2; s++) {
          RateLimiter l = RateLimiter.builder(RateLimitPolicy.builder().rule(rule).build()).clock(clock).store(stores[s]).build();
          assertTrue(take(l, call("x", "alice")), spec.toString());
          denials[s] = denied(l.acquire(call("x", "alice")));
        }
        Decision.Denied d = denials[0];
        assertEquals(boundaries.get(i), d.resetAt(), "the window ends exactly at the boundary: " + spec);
        assertEquals(denials[1].resetAt(), d.resetAt(), "as the in-memory store says: " + spec);
        long exact = Duration.between(clock.instant(), boundaries.get(i)).toNanos();
        assertEquals(exact, denials[1].retryAfterNanos(), spec.toString());
        assertTrue(d.retryAfterNanos() >= exact && d.retryAfterNanos() < exact + 1_000_000,
            "retry-after is never early (rounded up at most to the store's resolution): " + d.retryAfterNanos() + " vs " + exact);
        advance(clock, Duration.ofNanos(d.retryAfterNanos()));
        assertTrue(take(RateLimiter.builder(RateLimitPolicy.builder().rule(rule).build()).clock(clock).store(store).build(),
            call("x", "alice")), "a retry at retry-after is granted: " + spec);
      }
    }
  }

  @Test
  void aDenialHasNoRetryAfterWhenAnyDenyingRuleCannotBeWaitedFor() {
    Rule bucket = Rule.builder("bucket").limit(frozen(1)).maxWait(Duration.ofSeconds(5)).build();
    Rule one = Rule.builder("one at a time").limit(LimitSpec.concurrency(1)).maxWait(Duration.ofSeconds(5)).build();
    RateLimiter l = limiter(bucket, one);
    Decision.Granted held = granted(l.acquire(call("x", "alice")));
    Decision.Denied d = denied(AsyncEngine.of(l).reserve(call("x", "alice"), AsyncEngine.FIRST_ATTEMPT));
    assertEquals("bucket", d.rule());
    assertEquals(Probe.NEVER, d.retryAfterNanos(), "the permit frees when a call ends: no time can be promised");
    assertFalse(d.waitable());
    held.commit();
  }

  @Test
  void aTokenBucketDenialCarriesLimitRefillTimeRemainingAndExactRetryAfter() {
    Rule search = Rule.builder("search").cost(4).limit(LimitSpec.tokenBucket(10, 5, Duration.ofSeconds(1))).build();
    RateLimiter l = limiter(search);
    CallContext c = call("search", "alice");
    assertEquals(2, takeAll(l, c, 2));
    Decision.Denied d = denied(l.acquire(c));
    assertEquals(10, d.limit());
    assertEquals(Duration.ofSeconds(2), d.window(), "the time to refill from empty");
    assertEquals(2, d.remaining());
    assertEquals(4, d.cost());
    assertEquals(400_000_000L, d.retryAfterNanos(), "two more tokens at 200 ms each");
    assertEquals(clock.instant().plusMillis(1600), d.resetAt(), "full again when the 8 taken are back");
    assertEquals(List.of("user"), d.scope());
    assertTrue(d.message().contains("burst of 10") && d.message().contains("per user") && d.message().contains("'search'"),
        d.message());
    advance(clock, Duration.ofMillis(400));
    assertTrue(take(l, c), "retry-after is exact");
  }
}
