package dev.mcpratelimit.jdbc.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.ArrayBlockingQueue;
import javax.sql.DataSource;

/**
 * The store's own few connections from its {@link DataSource}, each with its prepared statements,
 * reused across decisions. A connection whose statement failed is closed and replaced by a new
 * one on the next call, so the store recovers by itself once the database is back.
 */
final class Connections implements AutoCloseable {
  /** A connection and its prepared statements. */
  static final class Conn {
    final Connection connection;
    final PreparedStatement[] statements;
    /** Database clock minus the store's clock, nanoseconds (PostgreSQL, live mode). */
    long offset;
    /** When {@link #offset} was measured, on the store's clock; {@code Long.MIN_VALUE}: never. */
    long offsetAt = Long.MIN_VALUE;

    Conn(Connection connection, String[] sql) throws SQLException {
      this.connection = connection;
      this.statements = new PreparedStatement[sql.length];
      try {
        for (int i = 0; i < sql.length; i++) {
          statements[i] = connection.prepareStatement(sql[i]);
        }
      } catch (SQLException e) {
        quietClose(connection);
        throw e;
      }
    }
  }

  /** Sets up a fresh connection (session settings) before its statements are prepared. */
  @FunctionalInterface
  interface Setup {
    void apply(Connection c) throws SQLException;
  }

  private final DataSource dataSource;
  private final String[] sql;
  private final Setup setup;
  private final ArrayBlockingQueue<Conn> idle;
  private volatile boolean closed;

  Connections(DataSource dataSource, int max, Setup setup, String... sql) {
    this.dataSource = dataSource;
    this.sql = sql;
    this.setup = setup;
    this.idle = new ArrayBlockingQueue<>(max);
  }

  /** @return an idle connection, or a new one */
  Conn borrow() throws SQLException {
    if (closed) {
      throw new SQLException("the store is closed");
    }
    Conn c = idle.poll();
    if (c != null) {
      return c;
    }
    Connection raw = dataSource.getConnection();
    try {
      setup.apply(raw);
    } catch (SQLException | RuntimeException e) {
      quietClose(raw);
      throw e;
    }
    return new Conn(raw, sql);
  }

  /** Work on one borrowed connection. */
  @FunctionalInterface
  interface Work<T> {
    T run(Conn c) throws SQLException;
  }

  /**
   * Runs {@code work} on a borrowed connection, returned afterwards, or dropped when the work
   * threw (the connection may be broken, or in the middle of a transaction).
   */
  <T> T use(Work<T> work) throws SQLException {
    Conn c = borrow();
    T result;
    try {
      result = work.run(c);
    } catch (SQLException | RuntimeException e) {
      discard(c);
      throw e;
    }
    giveBack(c);
    return result;
  }

  /** Returns a healthy connection for reuse. */
  void giveBack(Conn c) {
    if (closed || !idle.offer(c)) {
      quietClose(c.connection);
    }
  }

  /** Drops a connection that failed. */
  void discard(Conn c) {
    quietClose(c.connection);
  }

  static void quietClose(Connection c) {
    try {
      c.close();
    } catch (SQLException | RuntimeException ignored) {
      // already broken
    }
  }

  @Override
  public void close() {
    closed = true;
    Conn c;
    while ((c = idle.poll()) != null) {
      quietClose(c.connection);
    }
  }
}
