package dev.mcpratelimit.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.internal.seam.Seams;
import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.Mode;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class RateLimitMetricsTest {
  final FakeClock clock = FakeClock.create();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  double decisions(String tool, String rule, String outcome) {
    var c = registry.find("mcp.ratelimit.decisions").tag("tool", tool).tag("rule", rule).tag("outcome", outcome).counters();
    return c.stream().mapToDouble(x -> x.count()).sum();
  }

  @Test
  void scriptedSequenceGivesExactCounts() throws Exception {
    RateLimitPolicy policy = RateLimitPolicy.builder()
        .rule(Rule.builder("burst").targets("create_issue").limit(LimitSpec.tokenBucket(2, 1, Duration.ofSeconds(10))).build())
        .rule(Rule.builder("trial").targets("search").mode(Mode.SHADOW).limit(LimitSpec.tokenBucket(1, 1, Duration.ofHours(1))).build())
        .rule(Rule.builder("patient").targets("query").maxWait(Duration.ofSeconds(5))
            .limit(LimitSpec.tokenBucket(1, 1, Duration.ofSeconds(2))).build())
        .build();
    LimiterStore store = LimiterStore.inMemory(1000, clock);
    RateLimitMetrics metrics = RateLimitMetrics.of(policy, store);
    metrics.bindTo(registry);
    RateLimiter l = Seams.sleeper(RateLimiter.builder(policy).clock(clock).store(store).listener(metrics), clock::advanceNanos).build();
    CallContext issue = CallContext.tool("create_issue").user("alice").build();
    for (int i = 0; i < 5; i++) {
      l.acquire(issue);
    }
    for (int i = 0; i < 3; i++) {
      l.acquire(CallContext.tool("search").user("alice").build());
    }
    CallContext q = CallContext.tool("query").user("alice").build();
    l.acquireBlocking(q);
    l.acquireBlocking(q); // waits 2 s
    l.acquire(CallContext.tool("attacker-chosen-name").user("x").build());

    assertEquals(2, decisions("create_issue", "*", "granted"));
    assertEquals(3, decisions("create_issue", "burst", "denied"));
    assertEquals(3, decisions("search", "*", "granted"));
    assertEquals(2, decisions("search", "trial", "shadow_denied"));
    assertEquals(2, decisions("query", "*", "granted"));
    assertEquals(1, decisions("query", "*", "waited"));
    assertEquals(1, decisions("other", "*", "granted"), "unknown tools are tagged 'other'");
    assertEquals(1, registry.get("mcp.ratelimit.wait").timer().count());
    assertEquals(2.0, registry.get("mcp.ratelimit.wait").timer().totalTime(java.util.concurrent.TimeUnit.SECONDS), 1e-9);
    assertEquals(3, registry.get("mcp.ratelimit.retry.after").summary().count());
    assertEquals(30.0, registry.get("mcp.ratelimit.retry.after").summary().totalAmount(), 1e-9, "three denials, each told 10 s");
    assertEquals(store.keyCount(), registry.get("mcp.ratelimit.keys").gauge().value());
  }

  @Test
  void storeErrorsAndEvictionsAreCounted() {
    RateLimitPolicy policy = RateLimitPolicy.builder()
        .rule(Rule.builder("per user").limit(LimitSpec.tokenBucket(5, 1, Duration.ofHours(1))).build()).build();
    LimiterStore tiny = LimiterStore.inMemory(2, clock);
    RateLimitMetrics metrics = RateLimitMetrics.of(policy, tiny);
    metrics.bindTo(registry);
    RateLimiter l = RateLimiter.builder(policy).clock(clock).store(tiny).listener(metrics).build();
    for (int i = 0; i < 50; i++) {
      ((Decision.Granted) l.acquire(CallContext.tool("t").user("u" + i).build())).commit();
    }
    tiny.keyCount();
    double evicted = registry.get("mcp.ratelimit.evictions").tag("rule", "per user").counter().count();
    assertEquals(tiny.liveEvictions(), (long) evicted);
    assertTrue(evicted >= 40, "evicted " + evicted);

    LimiterStore broken = new LimiterStore() {
      @Override
      public @Nullable Ticket acquire(Batch batch) {
        throw new IllegalStateException("down");
      }
    };
    SimpleMeterRegistry r2 = new SimpleMeterRegistry();
    RateLimitMetrics m2 = RateLimitMetrics.of(policy, broken);
    m2.bindTo(r2);
    RateLimiter failing = RateLimiter.builder(policy).clock(clock).store(broken).listener(m2).build();
    failing.acquire(CallContext.tool("t").user("u").build());
    failing.acquire(CallContext.tool("t").user("u").build());
    assertEquals(2, r2.get("mcp.ratelimit.store.errors").tag("exception", "IllegalStateException").counter().count());
    assertEquals(-1, r2.get("mcp.ratelimit.keys").gauge().value());
  }

  @Test
  void tagsStayBoundedUnderRandomToolNames() {
    RateLimitPolicy policy = RateLimitPolicy.builder()
        .rule(Rule.builder("global").limit(LimitSpec.tokenBucket(1, 1, Duration.ofHours(1))).build()).build();
    LimiterStore store = LimiterStore.inMemory(100_000, clock);
    RateLimitMetrics metrics = RateLimitMetrics.of(policy, store);
    metrics.bindTo(registry);
    RateLimiter l = RateLimiter.builder(policy).clock(clock).store(store).listener(metrics).build();
    java.util.Random r = new java.util.Random(1);
    for (int i = 0; i < 10_000; i++) {
      l.acquire(CallContext.tool("tool-" + r.nextLong()).user("user-" + r.nextLong()).build());
    }
    Set<String> tools = new HashSet<>();
    for (Meter m : registry.find("mcp.ratelimit.decisions").meters()) {
      tools.add(m.getId().getTag("tool"));
    }
    assertEquals(Set.of("other"), tools);
    assertTrue(registry.getMeters().size() < 10, "meters: " + registry.getMeters().size());
  }
}
