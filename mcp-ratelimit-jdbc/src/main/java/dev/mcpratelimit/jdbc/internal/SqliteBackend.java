package dev.mcpratelimit.jdbc.internal;

import dev.mcpratelimit.Clock;
import dev.mcpratelimit.spi.Probe;
import dev.mcpratelimit.spi.Batch;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * SQLite (a file): the decision is computed in Java by {@link RowState} inside one
 * {@code BEGIN IMMEDIATE} transaction on one connection, so there is no network round trip and
 * writers never deadlock (SQLite has one writer at a time; other processes on the same file wait
 * up to the busy timeout).
 */
public final class SqliteBackend implements Backend {
  private static final int SELECT = 0;
  private static final int UPSERT = 1;
  private static final int REAP = 2;
  private static final int COUNT = 3;
  private static final int BEGIN = 4;
  private static final int COMMIT = 5;
  private static final int ROLLBACK = 6;

  private final Connections connections;
  private final ReentrantLock lock = new ReentrantLock();
  private RowState[] rows = new RowState[0];

  /** @param dataSource connections to the file (autocommit off is set here) */
  public SqliteBackend(DataSource dataSource) throws SQLException {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("CREATE TABLE IF NOT EXISTS mcp_ratelimit_state (k BLOB PRIMARY KEY, space INTEGER NOT NULL,"
          + " a INTEGER NOT NULL, b INTEGER NOT NULL, c INTEGER NOT NULL, log BLOB, expires_at INTEGER NOT NULL)"
          + " WITHOUT ROWID");
    }
    this.connections = new Connections(dataSource, 1, c -> {
          try (Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout=10000");
            s.execute("PRAGMA synchronous=NORMAL");
          }
          c.setAutoCommit(true); // transactions are begun explicitly: BEGIN IMMEDIATE takes the write lock first
        },
        "SELECT a, b, c, log, expires_at FROM mcp_ratelimit_state WHERE k = ?",
        "INSERT INTO mcp_ratelimit_state (k, space, a, b, c, log, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (k) DO UPDATE SET a = excluded.a, b = excluded.b, c = excluded.c, log = excluded.log,"
            + " expires_at = excluded.expires_at",
        "DELETE FROM mcp_ratelimit_state WHERE k IN (SELECT k FROM mcp_ratelimit_state WHERE k >= ? ORDER BY k LIMIT ?)"
            + " AND expires_at < ?",
        "SELECT count(*) FROM mcp_ratelimit_state",
        "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK");
  }

  private RowState row(int i) {
    if (rows.length <= i) {
      RowState[] next = java.util.Arrays.copyOf(rows, Math.max(4, 2 * i + 1));
      for (int j = rows.length; j < next.length; j++) {
        next[j] = new RowState();
      }
      rows = next;
    }
    return rows[i];
  }

  private static void read(PreparedStatement select, byte[] key, RowState r) throws SQLException {
    r.fresh();
    select.setBytes(1, key);
    try (ResultSet rs = select.executeQuery()) {
      if (rs.next()) {
        r.a = rs.getLong(1);
        r.b = rs.getLong(2);
        r.c = rs.getLong(3);
        r.log = unpack(rs.getBytes(4));
        r.expiresAt = rs.getLong(5);
      }
    }
  }

  private static void write(PreparedStatement upsert, byte[] key, long space, RowState r) throws SQLException {
    upsert.setBytes(1, key);
    upsert.setLong(2, space);
    upsert.setLong(3, r.a);
    upsert.setLong(4, r.b);
    upsert.setLong(5, r.c);
    upsert.setBytes(6, r.log.length == 0 ? null : pack(r.log));
    upsert.setLong(7, r.expiresAt);
    upsert.executeUpdate();
  }

  static byte[] pack(long[] log) {
    ByteBuffer b = ByteBuffer.allocate(8 * log.length);
    b.asLongBuffer().put(log);
    return b.array();
  }

  static long[] unpack(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return new long[0];
    }
    long[] out = new long[bytes.length / 8];
    ByteBuffer.wrap(bytes).asLongBuffer().get(out);
    return out;
  }

  /** Runs {@code work} on the store's connection, one call at a time. */
  private <T> T locked(Connections.Work<T> work) throws SQLException {
    lock.lock();
    try {
      return connections.use(work);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean acquire(Entries e, Batch batch, int reap, @Nullable Clock live) throws SQLException {
    return locked(conn -> {
      int n = e.size();
      conn.statements[BEGIN].execute();
      long now = live == null ? e.now : Math.max(e.now, live.nanos()); // live: when the write lock is held
      PreparedStatement select = conn.statements[SELECT];
      boolean all = true;
      for (int i = 0; i < n; i++) {
        RowState r = row(i);
        read(select, e.keys[i], r);
        boolean granted = r.acquire(e.kinds[i], e.costs[i], e.p1[i], e.p2[i], e.p3[i], e.waits[i], now,
            batch.probe(e.order[i]));
        all &= granted;
        Probe probe = batch.probe(e.order[i]);
        e.at[i] = RowState.grantedAt(e.kinds[i], e.costs[i], e.p1[i], now, probe.resetAtNanos(),
            probe.waitNanos());
      }
      boolean wrote = false;
      if (all) {
        for (int i = 0; i < n; i++) {
          if (rows[i].dirty) {
            write(conn.statements[UPSERT], e.keys[i], e.spaces[i], rows[i]);
            wrote = true;
          }
        }
      }
      if (reap > 0) {
        byte[] from = new byte[8];
        ThreadLocalRandom.current().nextBytes(from);
        PreparedStatement d = conn.statements[REAP];
        d.setBytes(1, from);
        d.setInt(2, reap);
        d.setLong(3, now);
        wrote |= d.executeUpdate() > 0;
      }
      conn.statements[wrote ? COMMIT : ROLLBACK].execute();
      return all;
    });
  }

  @Override
  public void settle(Entries e, long now, boolean permitsOnly) throws SQLException {
    locked(conn -> {
      conn.statements[BEGIN].execute();
      RowState r = row(0);
      boolean wrote = false;
      for (int i = 0; i < e.size(); i++) {
        if (e.kinds[i] != RowState.CONCURRENCY && (permitsOnly || e.costs[i] == 0)) {
          continue;
        }
        read(conn.statements[SELECT], e.keys[i], r);
        r.giveBack(e.kinds[i], e.costs[i], e.p1[i], e.p2[i], e.p3[i], e.at[i], now, permitsOnly);
        if (r.dirty) {
          write(conn.statements[UPSERT], e.keys[i], e.spaces[i], r);
          wrote = true;
        }
      }
      conn.statements[wrote ? COMMIT : ROLLBACK].execute();
      return null;
    });
  }

  @Override
  public long rowCount() throws SQLException {
    return locked(conn -> {
      try (ResultSet rs = conn.statements[COUNT].executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  @Override
  public void discard(Collection<Long> spaceIds) throws SQLException {
    locked(conn -> {
      conn.statements[BEGIN].execute();
      try (PreparedStatement d = conn.connection.prepareStatement("DELETE FROM mcp_ratelimit_state WHERE space = ?")) {
        for (long id : spaceIds) {
          d.setLong(1, id);
          d.executeUpdate();
        }
      }
      conn.statements[COMMIT].execute();
      return null;
    });
  }

  @Override
  public void close() {
    connections.close();
  }

  @Override
  public String toString() {
    return "SQLite";
  }
}
