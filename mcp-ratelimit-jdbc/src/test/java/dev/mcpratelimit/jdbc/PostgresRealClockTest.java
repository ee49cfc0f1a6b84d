package dev.mcpratelimit.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Callers on the system clock, whose readings reach the database out of order, on generous limits. */
class PostgresRealClockTest {
  @Test
  void sixteenCallersOnTheSystemClockAreAllGranted() throws Exception {
    RateLimitPolicy policy = RateLimitPolicy.builder()
        .rule(Rule.builder("per user").limit(LimitSpec.tokenBucket(1_000_000, 1_000_000, Duration.ofSeconds(1))).build())
        .rule(Rule.builder("per tool").key(KeyResolvers.tool()).limit(LimitSpec.tokenBucket(1_000_000, 1_000_000, Duration.ofSeconds(1))).build())
        .rule(Rule.builder("per tenant").key(KeyResolvers.tenant()).limit(LimitSpec.tokenBucket(1_000_000, 1_000_000, Duration.ofSeconds(1))).build())
        .build();
    try (JdbcLimiterStore store = JdbcLimiterStore.builder(TestPostgres.sharedDataSource()).build()) {
      RateLimiter l = RateLimiter.builder(policy).store(store).build();
      Queue<String> denials = new ConcurrentLinkedQueue<>();
      AtomicInteger granted = new AtomicInteger();
      List<Thread> threads = new java.util.ArrayList<>();
      for (int t = 0; t < 16; t++) {
        int id = t;
        Thread th = new Thread(() -> {
          for (int i = 0; i < 50; i++) {
            Decision d = l.acquire(CallContext.tool("tool-" + (i % 3)).user("u" + (id * 7 + i) % 40).tenant("t" + i % 5).build());
            if (d instanceof Decision.Granted g) {
              g.commit();
              granted.incrementAndGet();
            } else {
              denials.add(d.toString());
            }
          }
        });
        th.start();
        threads.add(th);
      }
      for (Thread th : threads) {
        th.join();
      }
      assertEquals(List.of(), List.copyOf(denials));
      assertEquals(800, granted.get());
    }
  }
}
