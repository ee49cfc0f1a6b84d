package dev.mcpratelimit.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.testing.FakeClock;
import dev.mcpratelimit.testing.StoreContract;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Durability, sharing, reaping and outages on PostgreSQL. */
class PostgresStoreTest extends JdbcStoreBehaviour {
  @Override
  JdbcLimiterStore store(FakeClock clock, boolean fresh, int reapEvery, int reapBatch) {
    DataSource ds = TestPostgres.sharedDataSource();
    JdbcLimiterStore store = JdbcLimiterStore.builder(ds).clock(clock).reaping(reapEvery, reapBatch).build();
    if (fresh) {
      try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
        s.execute("TRUNCATE mcp_ratelimit_state");
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    }
    return store;
  }

  @Test
  void aStoppedDatabaseFailsOpenOrClosedAsConfiguredAndTheStoreRecovers() {
    FakeClock clock = FakeClock.create();
    Rule rule = Rule.builder("hourly").limit(LimitSpec.calendarWindow(5, WindowUnit.HOUR)).build();
    try (TestPostgres pg = TestPostgres.startNew();
        JdbcLimiterStore store = JdbcLimiterStore.builder(pg.dataSource()).clock(clock).build()) {
      StoreContract.Recorder open = new StoreContract.Recorder();
      StoreContract.Recorder closed = new StoreContract.Recorder();
      RateLimiter failOpen = RateLimiter.builder(RateLimitPolicy.builder().rule(rule)
          .failureMode(RateLimitPolicy.FailureMode.FAIL_OPEN).build()).clock(clock).store(store).listener(open).build();
      RateLimiter failClosed = RateLimiter.builder(RateLimitPolicy.builder().rule(rule)
          .failureMode(RateLimitPolicy.FailureMode.FAIL_CLOSED).build()).clock(clock).store(store).listener(closed).build();
      CallContext alice = CallContext.tool("x").user("alice").build();
      for (int i = 0; i < 3; i++) {
        assertInstanceOf(Decision.Granted.class, failOpen.acquire(alice)).commit();
      }
      assertTrue(open.storeErrors.isEmpty());

      pg.stop();
      assertInstanceOf(Decision.Granted.class, failOpen.acquire(alice), "FAIL_OPEN grants while the database is down")
          .commit();
      assertEquals(1, open.storeErrors.size(), "and reports the error");
      Decision.Denied d = assertInstanceOf(Decision.Denied.class, failClosed.acquire(alice), "FAIL_CLOSED denies");
      assertEquals(DenialReason.STORE_UNAVAILABLE, d.reason());
      assertEquals(1, closed.storeErrors.size());

      pg.start(); // same data, same port: the server is back, our process was never restarted
      assertInstanceOf(Decision.Granted.class, failClosed.acquire(alice), "the store reconnects by itself").commit();
      assertEquals(1, closed.storeErrors.size(), "no further errors");
      assertEquals(1, JdbcStoreBehaviour.peek(store, clock, rule, "alice"),
          "the counter kept the 3 grants before the outage and the one after (not the fail-open one)");
    }
  }
}
