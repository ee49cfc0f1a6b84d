package dev.mcpratelimit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.MissingIdentity;
import dev.mcpratelimit.spi.Probe;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Store contract, part of {@link StoreContract}: Calls without a user or tenant: the shared anonymous bucket, deny, skip.
 */
public abstract class MissingIdentityContract extends ShadowModeContract {
  @Test
  void sharedAnonymousBucketIsDistinctFromEveryNamedUser() {
    Rule user = Rule.builder("user").limit(frozen(2)).build();
    RateLimiter l = limiter(user);
    assertEquals(2, takeAll(l, call("x", null), 5), "anonymous callers share one bucket");
    assertEquals(0, takeAll(l, CallContext.tool("y").session("s9").client("other").build(), 2),
        "whatever else they carry");
    for (String name : List.of("", "-", "null", "<shared>", "<anonymous>", "*", "\u0000", "0:", "shared")) {
      assertEquals(2, takeAll(l, call("x", name), 3), "a user named '" + name + "' is not anonymous");
    }
    assertEquals(0, takeAll(l, call("x", null), 1));
  }

  @Test
  void sharedAnonymousBucketOfACompositeKey() {
    Rule pair = Rule.builder("pair").key(KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tenant()))
        .limit(frozen(1)).build();
    RateLimiter l = limiter(pair);
    assertTrue(take(l, call("x", "alice", (String) null)), "a missing part makes the whole key missing");
    assertFalse(take(l, call("x", null, "t1")), "and shares the anonymous bucket");
    assertTrue(take(l, call("x", "", "")), "empty parts are not missing");
    assertTrue(take(l, call("x", "alice", "t1")));
  }

  @Test
  void missingIdentityDenyTouchesNoCounter() {
    Rule user = Rule.builder("user").limit(frozen(3)).build();
    Rule tenant = Rule.builder("tenant required").key(KeyResolvers.tenant()).onMissingIdentity(MissingIdentity.DENY)
        .limit(frozen(5)).maxWait(Duration.ofSeconds(5)).build();
    RateLimiter l = limiter(user, tenant);
    CallContext anonymousTenant = call("pay", "alice", (String) null);
    Decision.Denied d = denied(l.acquire(anonymousTenant));
    assertEquals(DenialReason.MISSING_IDENTITY, d.reason());
    assertEquals("tenant required", d.rule());
    assertEquals(List.of("tenant"), d.scope());
    assertEquals(Probe.NEVER, d.retryAfterNanos());
    assertFalse(d.waitable());
    assertTrue(d.message().contains("tenant"), d.message());
    assertEquals(3, remaining(user, anonymousTenant), "the user rule was not charged");
    long before = clock.nanos();
    assertEquals(DenialReason.MISSING_IDENTITY, denied(assertTimeoutPreemptively(Duration.ofSeconds(10),
        () -> l.acquireBlocking(anonymousTenant))).reason());
    assertEquals(before, clock.nanos(), "waiting cannot help: no wait");
    assertEquals(3, takeAll(l, call("pay", "alice", "t1"), 5));
  }

  @Test
  void missingIdentitySkipDropsOnlyThatRule() {
    Rule session = Rule.builder("per session").key(KeyResolvers.session()).onMissingIdentity(MissingIdentity.SKIP)
        .limit(frozen(1)).build();
    Rule user = Rule.builder("user").limit(frozen(4)).build();
    RateLimiter l = limiter(session, user);
    assertEquals(4, takeAll(l, call("x", "alice"), 6), "no session: only the user rule applies");
    CallContext withSession = CallContext.tool("x").user("bob").session("s1").build();
    assertEquals(1, takeAll(l, withSession, 3));
    assertEquals("per session", events.denied.get(events.denied.size() - 1).rule());
  }
}
