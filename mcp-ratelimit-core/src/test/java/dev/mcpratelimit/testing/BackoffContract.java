package dev.mcpratelimit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.internal.seam.AsyncEngine;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Store contract, part of {@link StoreContract}: Upstream backoff: a scope denied with a retry-after until an instant.
 */
public abstract class BackoffContract extends PolicyDenialContract {
  @Test
  void backoffDeniesTheScopeWithRetryAfterUntilTheInstantThenAllows() {
    Rule user = Rule.builder("user").limit(LimitSpec.tokenBucket(100, 1, Duration.ofSeconds(1))).build();
    RateLimiter l = limiter(user);
    l.backoff(call("github", "u", "acme"), KeyResolvers.tenant(), Duration.ofSeconds(30));
    Decision.Denied d = denied(l.acquire(call("github", "v", "acme")));
    assertEquals(DenialReason.BACKOFF, d.reason());
    assertEquals("backoff", d.rule());
    assertEquals(List.of("tenant"), d.scope());
    assertEquals(30 * SECOND, d.retryAfterNanos());
    assertEquals(clock.instant().plusSeconds(30), d.resetAt());
    assertFalse(d.message().contains("acme"), d.message());
    assertEquals(100, remaining(user, call("github", "v", "acme")), "backed-off calls are not counted");
    assertTrue(take(l, call("github", "v", "other")), "other tenants are not affected");

    advance(clock, Duration.ofSeconds(29));
    assertEquals(SECOND, denied(l.acquire(call("search", "w", "acme"))).retryAfterNanos(), "every tool of the tenant");
    advance(clock, Duration.ofSeconds(1));
    assertTrue(take(l, call("github", "v", "acme")), "allowed from the instant on");
  }

  @Test
  void backoffOfAToolScopeAndOfAnExplicitInstant() {
    RateLimiter l = limiter(Rule.builder("user").limit(frozen(100)).build());
    l.backoff(KeyResolvers.tool(), "github", clock.instant().plusSeconds(10));
    l.backoff(KeyResolvers.tool(), "github", clock.instant().plusSeconds(5)); // an earlier instant does not shorten it
    assertEquals(10 * SECOND, denied(l.acquire(call("github", "anyone"))).retryAfterNanos());
    assertTrue(take(l, call("gitlab", "anyone")));
    assertThrows(IllegalArgumentException.class, () -> l.backoff(call("github", "u"), KeyResolvers.tool(), Duration.ZERO));
    advance(clock, Duration.ofSeconds(10));
    assertTrue(take(l, call("github", "anyone")));
  }

  @Test
  void backoffOfTheAnonymousScopeIsNotTheScopeOfAnEmptyName() {
    RateLimiter l = limiter(Rule.builder("user").limit(frozen(100)).build());
    l.backoff(call("github", "u", (String) null), KeyResolvers.tenant(), Duration.ofSeconds(30));
    assertEquals(DenialReason.BACKOFF, denied(l.acquire(call("github", "v", (String) null))).reason(),
        "callers without a tenant share the backed-off anonymous scope");
    assertTrue(take(l, call("github", "v", "")), "a tenant named '' is not anonymous");
    assertTrue(take(l, call("github", "v", "acme")));
  }

  @Test
  void backoffWaitsWhenWithinMaxWaitAndDeniesOtherwise() throws Exception {
    RateLimiter l = limiter(Rule.builder("user").maxWait(Duration.ofSeconds(5)).limit(frozen(100)).build());
    l.backoff(KeyResolvers.tool(), "github", clock.instant().plusSeconds(3));
    long before = clock.nanos();
    Decision.Denied first = denied(AsyncEngine.of(l).reserve(call("github", "u"), AsyncEngine.FIRST_ATTEMPT));
    assertTrue(first.waitable(), "3 s is within the 5 s max wait");
    assertFalse(denied(l.acquire(call("github", "u"))).waitable(), "a plain acquire never waits, as for limit denials");
    assertTrue(l.acquireBlocking(call("github", "u")).isGranted());
    assertEquals(3 * SECOND, clock.nanos() - before, "waited exactly until the backoff ended");
    assertEquals(List.of(3 * SECOND), events.waited);

    l.backoff(KeyResolvers.tool(), "github", clock.instant().plusSeconds(8));
    before = clock.nanos();
    Decision.Denied d = denied(l.acquireBlocking(call("github", "u")));
    assertEquals(DenialReason.BACKOFF, d.reason());
    assertFalse(d.waitable());
    assertEquals(8 * SECOND, d.retryAfterNanos());
    assertEquals(before, clock.nanos(), "8 s exceeds the max wait: denied at once");
  }
}
