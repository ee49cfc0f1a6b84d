package dev.mcpratelimit.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Store contract, part of {@link StoreContract}: A batch of rules is decided as one: all or nothing, under contention too.
 */
public abstract class AtomicityContract extends StackingContract {
  @Test
  void aDenialKeepsNoCostOfTheRulesThatWouldHaveGranted() {
    Rule user = Rule.builder("user").limit(frozen(5)).build();
    Rule conc = Rule.builder("parallel").limit(LimitSpec.concurrency(2)).build();
    Rule tenant = Rule.builder("tenant").key(KeyResolvers.tenant()).limit(frozen(2)).build();
    RateLimiter l = limiter(user, conc, tenant);
    CallContext alice = call("x", "alice", "t1");
    assertEquals(2, takeAll(l, alice, 12));
    assertEquals(3, remaining(user, alice), "ten denials by the tenant rule took nothing from alice's bucket");
    assertEquals(2, remaining(conc, alice), "and held no permit");
    assertEquals(2, takeAll(l, call("x", "alice", "t2"), 5), "another tenant's budget");
    assertEquals(1, remaining(user, alice), "alice's bucket paid for exactly four grants");
  }

  static Stream<String> tenantBudgets() {
    return Stream.of("token bucket", "exact sliding window", "sliding window", "calendar window");
  }

  @ParameterizedTest(name = "tenant budget: {0}")
  @MethodSource("tenantBudgets")
  void eightThreadsOnOverlappingKeysNeitherOverGrantNorLeak(String budget) throws Exception {
    LimitSpec tenantSpec = switch (budget) {
      case "token bucket" -> frozen(120);
      case "exact sliding window" -> LimitSpec.exactSlidingWindow(120, Duration.ofDays(1));
      case "sliding window" -> LimitSpec.slidingWindow(120, Duration.ofDays(1));
      default -> LimitSpec.calendarWindow(120, WindowUnit.DAY);
    };
    // one tenant budget shared by two rules' callers; per-user buckets per tool
    Rule tenant = Rule.builder("tenant").key(KeyResolvers.tenant()).limit(tenantSpec).build();
    Rule search = Rule.builder("search per user").targets("search").limit(frozen(20)).build();
    Rule write = Rule.builder("write per user").targets("write")
        .key(KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tool())).limit(frozen(10)).build();
    RateLimiter l = limiter(write, search, tenant);
    String[] users = {"u0", "u1", "u2", "u3", "u4"};
    String[] tools = {"search", "write"};
    AtomicLongArray kept = new AtomicLongArray(users.length * 2); // [user * 2 + tool]
    AtomicLong released = new AtomicLong();
    runThreads(8, t -> {
      Random random = new Random(t);
      for (int i = 0; i < 500; i++) {
        int u = random.nextInt(users.length);
        int tool = random.nextInt(2);
        if (l.acquire(call(tools[tool], users[u], "t1")) instanceof Decision.Granted g) {
          if (random.nextInt(10) == 0) {
            g.release();
            released.incrementAndGet();
          } else {
            g.commit();
            kept.incrementAndGet(u * 2 + tool);
          }
        }
      }
    });

    long total = 0;
    for (int u = 0; u < users.length; u++) {
      long s = kept.get(u * 2);
      long w = kept.get(u * 2 + 1);
      assertTrue(s <= 20 && w <= 10, "a user bucket over-granted: " + s + " searches, " + w + " writes");
      assertEquals(20 - s, remaining(search, call("search", users[u], "t1")), "search bucket of " + users[u]);
      assertEquals(10 - w, remaining(write, call("write", users[u], "t1")), "write bucket of " + users[u]);
      total += s + w;
    }
    assertTrue(released.get() > 0);
    assertEquals(120 - total, remaining(tenant, call("search", "u0", "t1")),
        "the tenant bucket holds exactly the kept grants: no over-grant, no cost leaked by denials or refunds");
    assertEquals(120, total, "4000 attempts exhaust the tenant budget");
  }

  @Test
  void eightThreadsNeverHoldMorePermitsThanTheConcurrencyLimit() throws Exception {
    Rule conc = Rule.builder("three at a time").key(KeyResolvers.tenant()).limit(LimitSpec.concurrency(3)).build();
    Rule perUser = Rule.builder("per user").limit(frozen(1_000)).build();
    RateLimiter l = limiter(conc, perUser);
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxSeen = new AtomicInteger();
    AtomicLong grants = new AtomicLong();
    runThreads(8, t -> {
      for (int i = 0; i < 300; i++) {
        if (l.acquire(call("run_query", "u" + t, "t1")) instanceof Decision.Granted g) {
          grants.incrementAndGet();
          int now = inFlight.incrementAndGet();
          maxSeen.accumulateAndGet(now, Math::max);
          Thread.yield();
          inFlight.decrementAndGet();
          if (i % 2 == 0) {
            g.commit();
          } else {
            g.release();
          }
        }
      }
    });
    assertTrue(maxSeen.get() <= 3, "held " + maxSeen.get() + " permits at once");
    assertTrue(grants.get() > 0);
    assertEquals(3, remaining(conc, call("run_query", "u0", "t1")), "every permit was freed");
  }

  @Test
  void aBatchTheStoreRejectsMidwayKeepsNothing() {
    Rule first = Rule.builder("first").limit(frozen(5)).build();
    Rule second = Rule.builder("second").limit(frozen(5)).build();
    Batch b = new Batch().reset(clock.nanos());
    b.add(first.name(), first.stateIdentity(), "alice", first.limit(), 1, 0);
    b.add(second.name(), second.stateIdentity(), "alice", second.limit(), -1, 0); // misuse: a negative cost
    LimiterStore.Ticket t = null;
    try {
      t = store.acquire(b);
    } catch (RuntimeException expected) {
      // a store may refuse the batch by throwing
    }
    assertNull(t, "a negative cost is never granted");
    assertEquals(5, peek(store, clock.nanos(), first, "alice"), "nothing of the failed batch was kept");
    assertEquals(5, peek(store, clock.nanos(), second, "alice"));
  }

  @Test
  void anUpdatedPolicyKeepsTheCountersOfUnchangedRulesOnly() {
    Rule perUser = Rule.builder("per user").limit(frozen(3)).build();
    Rule perTenant = Rule.builder("per tenant").key(KeyResolvers.tenant()).limit(frozen(5)).build();
    RateLimiter l = limiter(perUser, perTenant);
    CallContext alice = call("x", "alice", "t1");
    assertEquals(3, takeAll(l, alice, 3));
    Rule sameUser = Rule.builder("per user").limit(frozen(3)).onDeny("changed message only").build();
    Rule biggerTenant = Rule.builder("per tenant").key(KeyResolvers.tenant()).limit(frozen(6)).build();
    l.updatePolicy(RateLimitPolicy.builder().rule(sameUser).rule(biggerTenant).build());
    Decision.Denied d = denied(l.acquire(alice));
    assertEquals("per user", d.rule(), "the unchanged rule kept its counter");
    assertEquals("changed message only", d.message());
    assertEquals(6, remaining(biggerTenant, alice), "the changed rule starts fresh");
  }
}
