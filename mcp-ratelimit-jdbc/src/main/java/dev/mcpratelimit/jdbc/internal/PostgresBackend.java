package dev.mcpratelimit.jdbc.internal;

import dev.mcpratelimit.Clock;
import dev.mcpratelimit.spi.Probe;
import dev.mcpratelimit.spi.Batch;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * PostgreSQL: one statement, one round trip per decision and per refund, running the server-side
 * functions of {@code postgresql.sql}, in autocommit (the function is the transaction).
 */
public final class PostgresBackend implements Backend {
  private static final int ACQUIRE = 0;
  private static final int SETTLE = 1;
  private static final int COUNT = 2;
  private static final int DISCARD = 3;
  private static final int CLOCK = 4;
  /** How often a connection's clock offset is measured again (clocks drift apart slowly). */
  private static final long OFFSET_AGE = 60_000_000_000L;

  private final Connections connections;

  /**
   * @param dataSource where connections come from
   * @param maxIdle connections kept between calls
   * @param createSchema whether to run {@code postgresql.sql} first
   */
  public PostgresBackend(DataSource dataSource, int maxIdle, boolean createSchema) throws SQLException {
    if (createSchema) {
      createSchema(dataSource);
    }
    this.connections = new Connections(dataSource, maxIdle, c -> c.setAutoCommit(true),
        "SELECT mcp_ratelimit_acquire(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "SELECT mcp_ratelimit_settle(?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "SELECT count(*) FROM mcp_ratelimit_state",
        "DELETE FROM mcp_ratelimit_state WHERE space = ANY (?)",
        "SELECT floor(extract(epoch FROM clock_timestamp()) * 1000000000)::bigint");
  }

  /** @return the statements of the shipped schema file */
  public static String[] schemaStatements() {
    try (InputStream in = PostgresBackend.class.getResourceAsStream("/dev/mcpratelimit/jdbc/postgresql.sql")) {
      String text = new String(Objects.requireNonNull(in, "postgresql.sql").readAllBytes(), StandardCharsets.UTF_8);
      return text.split("\n-- statement\n");
    } catch (IOException e) {
      throw new IllegalStateException("cannot read postgresql.sql", e);
    }
  }

  /** Runs the schema in one transaction under an advisory lock, so instances starting together agree. */
  private static void createSchema(DataSource dataSource) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute("SELECT pg_advisory_xact_lock(7346519283746501)");
        for (String sql : schemaStatements()) {
          s.execute(sql);
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  @Override
  public boolean acquire(Entries e, Batch batch, int reap, @Nullable Clock live) throws SQLException {
    int n = e.size();
    Connections.Conn conn = connections.borrow();
    try {
      Connection c = conn.connection;
      PreparedStatement ps = conn.statements[ACQUIRE];
      ps.setLong(1, e.now);
      ps.setObject(2, live == null ? null : offset(conn, live), java.sql.Types.BIGINT);
      ps.setArray(3, c.createArrayOf("bytea", e.keys));
      ps.setArray(4, longs(c, e.spaces));
      ps.setArray(5, ints(c, e.kinds));
      ps.setArray(6, longs(c, e.costs));
      ps.setArray(7, longs(c, e.p1));
      ps.setArray(8, longs(c, e.p2));
      ps.setArray(9, longs(c, e.p3));
      ps.setArray(10, longs(c, e.waits));
      ps.setInt(11, reap);
      byte[] from = new byte[8];
      ThreadLocalRandom.current().nextBytes(from);
      ps.setBytes(12, from);
      Object[] out;
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        Array a = rs.getArray(1);
        out = (Object[]) a.getArray();
        a.free();
      }
      connections.giveBack(conn);
      long decidedAt = ((Number) out[0]).longValue();
      boolean all = true;
      for (int i = 0; i < n; i++) {
        int o = 1 + 5 * i;
        boolean granted = ((Number) out[o]).longValue() == 1;
        long remaining = ((Number) out[o + 1]).longValue();
        long retry = ((Number) out[o + 2]).longValue();
        long reset = ((Number) out[o + 3]).longValue();
        long wait = ((Number) out[o + 4]).longValue();
        batch.probe(e.order[i]).set(granted, remaining, retry < 0 ? Probe.NEVER : retry,
            reset == -1 ? Probe.NEVER : reset, wait);
        all &= granted;
        e.at[i] = RowState.grantedAt(e.kinds[i], e.costs[i], e.p1[i], decidedAt, reset, wait);
      }
      return all;
    } catch (SQLException | RuntimeException ex) {
      connections.discard(conn);
      throw ex;
    }
  }

  /**
   * The database clock minus {@code clock} on this connection, measured over one round trip (error
   * at most half of it) and again every minute: only this difference is used, so the decision is
   * timed on the engine's timeline at the moment it holds its locks.
   */
  private static long offset(Connections.Conn conn, Clock clock) throws SQLException {
    long t0 = clock.nanos();
    if (conn.offsetAt != Long.MIN_VALUE && t0 - conn.offsetAt < OFFSET_AGE) {
      return conn.offset;
    }
    long db;
    try (ResultSet rs = conn.statements[CLOCK].executeQuery()) {
      rs.next();
      db = rs.getLong(1);
    }
    long t1 = clock.nanos();
    conn.offset = db - (t0 + (t1 - t0) / 2);
    conn.offsetAt = t1;
    return conn.offset;
  }

  @Override
  public void settle(Entries e, long now, boolean permitsOnly) throws SQLException {
    Connections.Conn conn = connections.borrow();
    try {
      Connection c = conn.connection;
      PreparedStatement ps = conn.statements[SETTLE];
      ps.setLong(1, now);
      ps.setBoolean(2, permitsOnly);
      ps.setArray(3, c.createArrayOf("bytea", e.keys));
      ps.setArray(4, ints(c, e.kinds));
      ps.setArray(5, longs(c, e.costs));
      ps.setArray(6, longs(c, e.p1));
      ps.setArray(7, longs(c, e.p2));
      ps.setArray(8, longs(c, e.p3));
      ps.setArray(9, longs(c, e.at));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
      }
      connections.giveBack(conn);
    } catch (SQLException | RuntimeException ex) {
      connections.discard(conn);
      throw ex;
    }
  }

  @Override
  public long rowCount() throws SQLException {
    return connections.use(conn -> {
      try (ResultSet rs = conn.statements[COUNT].executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  @Override
  public void discard(Collection<Long> spaceIds) throws SQLException {
    connections.use(conn -> {
      PreparedStatement ps = conn.statements[DISCARD];
      ps.setArray(1, conn.connection.createArrayOf("bigint", spaceIds.toArray(new Long[0])));
      return ps.executeUpdate();
    });
  }

  private static Array longs(Connection c, long[] values) throws SQLException {
    Long[] boxed = new Long[values.length];
    for (int i = 0; i < values.length; i++) {
      boxed[i] = values[i];
    }
    return c.createArrayOf("bigint", boxed);
  }

  private static Array ints(Connection c, int[] values) throws SQLException {
    Integer[] boxed = new Integer[values.length];
    for (int i = 0; i < values.length; i++) {
      boxed[i] = values[i];
    }
    return c.createArrayOf("integer", boxed);
  }

  @Override
  public void close() {
    connections.close();
  }

  @Override
  public String toString() {
    return "PostgreSQL";
  }
}
