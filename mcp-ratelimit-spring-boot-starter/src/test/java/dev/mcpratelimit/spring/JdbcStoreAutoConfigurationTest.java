package dev.mcpratelimit.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Clock;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.jdbc.JdbcLimiterStore;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.sqlite.SQLiteDataSource;

/**
 * {@code mcp.ratelimit.store=file} and {@code =jdbc} on real SQLite files, and a policy file's own
 * {@code store:} section when no property names a store. The web server adds nothing to the store
 * choice, so these run the auto-configuration in an {@link ApplicationContextRunner}.
 */
class JdbcStoreAutoConfigurationTest {
  private static final FakeClock CLOCK = FakeClock.create();

  @TempDir Path dir;

  private ApplicationContextRunner runner(String policyStore) throws IOException {
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(policy, "version: 1\n" + policyStore + "defaults: { key: [user] }\n"
        + "tools:\n  spend:\n    rules:\n      - { name: daily spend, quota: { limit: 2, window: day } }\n");
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(McpRateLimitAutoConfiguration.class))
        .withBean(Clock.class, () -> CLOCK)
        .withPropertyValues("mcp.ratelimit.policy=file:" + policy, "mcp.ratelimit.reload=false");
  }

  private static boolean spend(RateLimiter limiter) {
    return limiter.acquire(CallContext.tool("spend").user("alice").build()).isGranted();
  }

  @Test
  void fileStoreKeepsTheDailyQuotaAcrossARestart() throws IOException {
    Path db = dir.resolve("counters.db");
    ApplicationContextRunner r = runner("").withPropertyValues("mcp.ratelimit.store=file", "mcp.ratelimit.file=" + db);
    r.run(ctx -> {
      assertInstanceOf(JdbcLimiterStore.class, ctx.getBean(LimiterStore.class));
      RateLimiter limiter = ctx.getBean(RateLimiter.class);
      assertTrue(spend(limiter));
      assertTrue(spend(limiter));
      assertFalse(spend(limiter), "the daily quota of 2 is used up");
    });
    assertTrue(Files.size(db) > 0, "the counters are in the configured file");
    r.run(ctx -> assertFalse(spend(ctx.getBean(RateLimiter.class)), "still used up in the restarted application"));
    runner("").withPropertyValues("mcp.ratelimit.store=file", "mcp.ratelimit.file=" + dir.resolve("other.db"))
        .run(ctx -> assertTrue(spend(ctx.getBean(RateLimiter.class)), "another file has its own counters"));
  }

  @Test
  void jdbcStoreUsesTheApplicationsDataSource() throws IOException, SQLException {
    SQLiteDataSource ds = new SQLiteDataSource();
    ds.setUrl("jdbc:sqlite:" + dir.resolve("app.db"));
    runner("").withBean(DataSource.class, () -> ds).withPropertyValues("mcp.ratelimit.store=jdbc").run(ctx -> {
      assertInstanceOf(JdbcLimiterStore.class, ctx.getBean(LimiterStore.class));
      assertTrue(spend(ctx.getBean(RateLimiter.class)));
    });
    assertNotEquals(0, tables(ds), "the store created its tables in the application's database");
    runner("").withBean(DataSource.class, () -> ds).withPropertyValues("mcp.ratelimit.store=jdbc").run(ctx -> {
      RateLimiter limiter = ctx.getBean(RateLimiter.class);
      assertTrue(spend(limiter), "the second of 2");
      assertFalse(spend(limiter), "the first context's grant is in the application's database");
    });
  }

  @Test
  void jdbcStoreWithoutADataSourceFailsStartUp() throws IOException {
    runner("").withPropertyValues("mcp.ratelimit.store=jdbc")
        .run(ctx -> assertTrue(ctx.getStartupFailure() != null, "no LimiterStore without a DataSource"));
  }

  @Test
  void thePolicyFilesStoreSectionIsUsedUnlessAPropertyOverridesIt() throws IOException {
    Path db = dir.resolve("from-policy.db");
    ApplicationContextRunner r = runner("store: { file: \"" + db + "\" }\n");
    r.run(ctx -> {
      assertInstanceOf(JdbcLimiterStore.class, ctx.getBean(LimiterStore.class));
      assertTrue(spend(ctx.getBean(RateLimiter.class)));
      assertTrue(spend(ctx.getBean(RateLimiter.class)));
    });
    assertTrue(Files.exists(db), "the policy's file");
    r.run(ctx -> assertFalse(spend(ctx.getBean(RateLimiter.class)), "the policy's file kept the counters"));
    r.withPropertyValues("mcp.ratelimit.store=memory").run(ctx -> {
      assertFalse(ctx.getBean(LimiterStore.class) instanceof JdbcLimiterStore, "the property wins");
      assertTrue(spend(ctx.getBean(RateLimiter.class)), "fresh counters in memory");
    });
    Path other = dir.resolve("property.db");
    r.withPropertyValues("mcp.ratelimit.store=file", "mcp.ratelimit.file=" + other)
        .run(ctx -> assertTrue(spend(ctx.getBean(RateLimiter.class)), "the property's file, not the policy's"));
    assertTrue(Files.exists(other));
  }

  @Test
  void anApplicationStoreBeanWins() throws IOException {
    LimiterStore mine = LimiterStore.inMemory(100, CLOCK);
    runner("").withBean(LimiterStore.class, () -> mine).withPropertyValues("mcp.ratelimit.store=file",
        "mcp.ratelimit.file=" + dir.resolve("unused.db")).run(ctx -> assertEquals(mine, ctx.getBean(LimiterStore.class)));
    assertFalse(Files.exists(dir.resolve("unused.db")));
  }

  private static int tables(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select count(*) from sqlite_master where type = 'table'")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
