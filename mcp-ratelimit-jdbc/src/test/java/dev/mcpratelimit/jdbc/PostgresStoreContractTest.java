package dev.mcpratelimit.jdbc;

import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import dev.mcpratelimit.testing.StoreContract;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/** The store contract suite, unchanged and whole (the store decides on the engine's clock), on PostgreSQL. */
class PostgresStoreContractTest extends StoreContract {
  @Override
  protected LimiterStore newStore(FakeClock clock) {
    DataSource ds = TestPostgres.sharedDataSource();
    JdbcLimiterStore store = JdbcLimiterStore.builder(ds).clock(clock).build();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.execute("TRUNCATE mcp_ratelimit_state");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return store;
  }
}
