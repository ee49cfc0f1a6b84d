package dev.mcpratelimit.jdbc;

import dev.mcpratelimit.Clock;
import dev.mcpratelimit.jdbc.internal.Backend;
import dev.mcpratelimit.jdbc.internal.Entries;
import dev.mcpratelimit.jdbc.internal.PostgresBackend;
import dev.mcpratelimit.jdbc.internal.RowState;
import dev.mcpratelimit.jdbc.internal.SqliteBackend;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * LimitState state in a SQL database: durable across restarts, and shared by every server instance
 * on one PostgreSQL database.
 *
 * <p><b>PostgreSQL</b> ({@link #builder(DataSource)}): <b>one round trip per decision</b>, whatever
 * the number of rules. One statement calls the server-side function {@code mcp_ratelimit_acquire}
 * (created by the store, or applied from the shipped {@code dev/mcpratelimit/jdbc/postgresql.sql}),
 * which locks the decision's rows in key order ({@code SELECT ... FOR UPDATE}, creating missing
 * rows with {@code INSERT ... ON CONFLICT DO NOTHING}), applies every entry only if every entry
 * fits, and returns each entry's outcome. Locking in one global order rules out deadlocks between
 * decisions; row locks rule out lost updates. A refund or permit release is one call too.
 *
 * <p><b>A file</b> ({@link #file(Path)}): SQLite, for one server with no database to run. The
 * decision is computed in Java inside one {@code BEGIN IMMEDIATE} transaction on the store's
 * connection (no network), in WAL mode with {@code synchronous=NORMAL}: a committed decision
 * survives a crash of the JVM; a power loss may lose the last moments of decisions.
 *
 * <p><b>Time</b> is the engine's clock: the database's clock is never used as a time. On the
 * system clock (the default), a decision is timed on the engine's timeline at the moment it holds
 * its rows' locks, so a caller queued behind a hot key is not judged at a stale reading: SQLite
 * reads the store's clock once it holds the write lock; PostgreSQL computes it from its own clock
 * and the difference between the two clocks, measured on each connection (one extra query per
 * connection per minute) — only that difference enters, so the database's clock being off does not
 * matter. With a {@linkplain Builder#clock(Clock) clock of its own} (a {@code FakeClock} in tests)
 * the store decides at exactly the engine's reading. Instances
 * whose clocks disagree by <i>d</i> see a shared key as if its history were shifted by
 * up to <i>d</i>: a token bucket refills up to <i>d</i> early or late, a window rolls over up to
 * <i>d</i> early or late, so at most about {@code d × rate} extra (or fewer) grants per window
 * boundary. Keep the servers' clocks synchronised (NTP keeps skew in milliseconds).
 *
 * <p><b>Expired rows</b> (a full bucket, a window over, no permit held) equal fresh ones and are
 * reaped: every {@linkplain Builder#reaping(int, int) n-th} decision deletes the expired rows among
 * the next {@linkplain Builder#reaping(int, int) few} keys after a random key, so the work per call
 * is bounded and the table stays close to the number of live keys.
 *
 * <p><b>Concurrency permits</b> carry a lease (default 5 minutes): the permits of a server that
 * crashed while calls were in flight come back when their lease ends.
 *
 * <p><b>Failure:</b> a database error propagates from {@link #acquire} and the engine applies the
 * policy's {@code FAIL_OPEN} / {@code FAIL_CLOSED}; the failed connection is dropped and the next
 * call opens a new one, so the store recovers by itself when the database is back. Set the
 * driver's connect and socket timeouts on the {@link DataSource} (for pgjdbc {@code connectTimeout},
 * {@code socketTimeout}) to bound how long a call waits for a database that does not answer.
 *
 * <p>Thread-safe; one per server. {@link #close()} closes the store's connections.
 */
public final class JdbcLimiterStore implements LimiterStore {
  /**
   * Largest cost or limit the store represents exactly: every value is a signed 64-bit column
   * or arithmetic on them, as in memory.
   */
  public static final long MAX_COST = Long.MAX_VALUE;

  private final Backend backend;
  private final Entries.Factory entries;
  private final int reapEvery;
  private final int reapBatch;
  private final AtomicLong calls = new AtomicLong();
  private final String description;
  private final Clock clock;
  private final boolean live;

  private JdbcLimiterStore(Backend backend, Builder b, String description) {
    this.backend = backend;
    this.clock = b.clock;
    this.live = b.clock == Clock.system();
    this.entries = new Entries.Factory(b.lease.toNanos());
    this.reapEvery = b.reapEvery;
    this.reapBatch = b.reapBatch;
    this.description = description;
  }

  /**
   * A store on a database: PostgreSQL (the production target) or SQLite, detected from the
   * connection's metadata.
   *
   * @param dataSource where the store takes its connections; it keeps a few open between calls
   * @return a builder
   */
  public static Builder builder(DataSource dataSource) {
    return new Builder(Objects.requireNonNull(dataSource, "dataSource"));
  }

  /**
   * A store in an SQLite file, created if absent, with the default settings: the durable store of
   * one server. Needs {@code org.xerial:sqlite-jdbc} on the class path.
   *
   * @param file the database file, e.g. {@code Path.of("ratelimit.db")}
   * @return the store
   * @throws IllegalStateException when the file cannot be opened
   */
  public static JdbcLimiterStore file(Path file) {
    return fileBuilder(file).build();
  }

  /**
   * As {@link #file(Path)}, with settings to change before {@link Builder#build()}.
   *
   * @param file the database file
   * @return a builder
   */
  public static Builder fileBuilder(Path file) {
    Objects.requireNonNull(file, "file");
    org.sqlite.SQLiteDataSource ds = new org.sqlite.SQLiteDataSource();
    ds.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
    return new Builder(ds);
  }

  @Override
  public @Nullable Ticket acquire(Batch batch) {
    if (batch.size() == 0) {
      return new JdbcTicket(null);
    }
    Entries e = entries.of(batch);
    int reap = reapEvery > 0 && calls.incrementAndGet() % reapEvery == 0 ? reapBatch : 0;
    boolean all;
    try {
      all = backend.acquire(e, batch, reap, live ? clock : null);
    } catch (SQLException ex) {
      throw failure("decide", ex);
    }
    return all ? new JdbcTicket(e) : null;
  }

  private IllegalStateException failure(String what, SQLException ex) {
    return new IllegalStateException("rate-limit database (" + backend + ") failed to " + what + ": " + ex.getMessage(), ex);
  }

  /** The costs one granted decision took; settles once, in one call. */
  private final class JdbcTicket implements Ticket {
    private final @Nullable Entries e;

    JdbcTicket(@Nullable Entries e) {
      this.e = e;
    }

    @Override
    public void refund() {
      settle(false);
    }

    @Override
    public void releasePermits() {
      settle(true);
    }

    private void settle(boolean permitsOnly) {
      Entries e = this.e;
      if (e == null || !needsCall(e, permitsOnly)) {
        return;
      }
      try {
        backend.settle(e, clock.nanos(), permitsOnly);
      } catch (SQLException ex) {
        throw failure(permitsOnly ? "release permits" : "refund", ex);
      }
    }
  }

  /** Whether settling has anything to give back (permits, or costs when refunding). */
  private static boolean needsCall(Entries e, boolean permitsOnly) {
    for (int i = 0; i < e.size(); i++) {
      if (e.costs[i] > 0 && (!permitsOnly || e.kinds[i] == RowState.CONCURRENCY)) {
        return true;
      }
    }
    return false;
  }

  /** @return the number of rows in the table (live and not yet reaped), or -1 when unreachable */
  @Override
  public long keyCount() {
    try {
      return backend.rowCount();
    } catch (SQLException ex) {
      return -1;
    }
  }

  /** @return {@value #MAX_COST}: costs and limits are 64-bit integers in the database too */
  @Override
  public long maxCost() {
    return MAX_COST;
  }

  @Override
  public void discard(Collection<String> spaces) {
    if (spaces.isEmpty()) {
      return;
    }
    List<Long> ids = new ArrayList<>(spaces.size());
    for (String s : spaces) {
      ids.add(entries.spaceId(s));
    }
    try {
      backend.discard(ids);
    } catch (SQLException ex) {
      throw failure("discard removed rules", ex);
    }
  }

  @Override
  public void close() {
    backend.close();
  }

  @Override
  public String toString() {
    return "JdbcLimiterStore{" + description + '}';
  }

  /** Builds a {@link JdbcLimiterStore}. Not thread-safe. */
  public static final class Builder {
    private final DataSource dataSource;
    private Duration lease = Duration.ofMinutes(5);
    private int connections = 8;
    private boolean createSchema = true;
    private int reapEvery = 8;
    private int reapBatch = 32;
    private Clock clock = Clock.system();

    private Builder(DataSource dataSource) {
      this.dataSource = dataSource;
    }

    /**
     * @param clock the clock that times refunds and permit releases: pass the engine's clock (a
     *     {@code FakeClock} in tests), so that they are on the timeline the decisions were made
     *     on; default the system clock. Decisions use the time the engine passes in.
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * @param lease how long a concurrency permit lives without release; default 5 minutes
     * @return this builder
     */
    public Builder permitLease(Duration lease) {
      if (lease == null || lease.isNegative() || lease.isZero()) {
        throw new IllegalArgumentException("permitLease must be positive, but was " + lease);
      }
      this.lease = lease;
      return this;
    }

    /**
     * @param connections connections the store keeps open between calls (more are opened while
     *     more calls are in flight); default 8
     * @return this builder
     */
    public Builder connections(int connections) {
      if (connections < 1) {
        throw new IllegalArgumentException("connections must be at least 1, but was " + connections);
      }
      this.connections = connections;
      return this;
    }

    /**
     * @param createSchema whether the store creates its table and functions when built (default
     *     {@code true}); {@code false} when they are applied as a migration from
     *     {@code dev/mcpratelimit/jdbc/postgresql.sql}
     * @return this builder
     */
    public Builder createSchema(boolean createSchema) {
      this.createSchema = createSchema;
      return this;
    }

    /**
     * @param every reap after every {@code every}-th decision, 0 never; default 8
     * @param batch rows checked per reap, at least 1; default 32
     * @return this builder
     */
    public Builder reaping(int every, int batch) {
      if (every < 0) {
        throw new IllegalArgumentException("reaping every must be 0 (never) or more, but was " + every);
      }
      if (batch < 1) {
        throw new IllegalArgumentException("reaping batch must be at least 1, but was " + batch);
      }
      this.reapEvery = every;
      this.reapBatch = batch;
      return this;
    }

    /**
     * Connects, detects the database and (by default) creates the schema.
     *
     * @return the store
     * @throws IllegalArgumentException for a database other than PostgreSQL or SQLite
     * @throws IllegalStateException when the database cannot be reached
     */
    public JdbcLimiterStore build() {
      String product;
      try (Connection c = dataSource.getConnection()) {
        product = c.getMetaData().getDatabaseProductName();
      } catch (SQLException e) {
        throw new IllegalStateException("cannot connect to the rate-limit database: " + e.getMessage(), e);
      }
      String p = product.toLowerCase(Locale.ROOT);
      try {
        if (p.contains("postgres")) {
          return new JdbcLimiterStore(new PostgresBackend(dataSource, connections, createSchema), this, "PostgreSQL");
        } else if (p.contains("sqlite")) {
          return new JdbcLimiterStore(new SqliteBackend(dataSource), this, "SQLite");
        }
      } catch (SQLException e) {
        throw new IllegalStateException("cannot set up the rate-limit schema on " + product + ": " + e.getMessage(), e);
      }
      throw new IllegalArgumentException("database must be PostgreSQL or SQLite, but was " + product);
    }
  }
}
