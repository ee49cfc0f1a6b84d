package dev.mcpratelimit.jdbc.internal;

import dev.mcpratelimit.jdbc.JdbcLimiterStore;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.spi.StoreProvider;
import java.io.PrintWriter;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/** The jdbc module's {@link StoreProvider}s, found by {@link java.util.ServiceLoader}. */
public final class Providers {
  private Providers() {}

  /** {@code store: { file: ratelimit.db }}: an SQLite file, relative to the working directory. */
  public static final class File implements StoreProvider {
    /** For the service loader. */
    public File() {}

    @Override
    public String kind() {
      return "file";
    }

    @Override
    public LimiterStore open(String location) {
      if (location.isBlank()) {
        throw new IllegalArgumentException("store.file must name a file, but was empty");
      }
      try {
        return JdbcLimiterStore.file(Path.of(location));
      } catch (InvalidPathException e) {
        throw new IllegalArgumentException("store.file is not a file path: '" + location + "'", e);
      }
    }
  }

  /** {@code store: { jdbc: "jdbc:postgresql://host/db?user=u" }}: a JDBC URL (its driver on the class path). */
  public static final class Jdbc implements StoreProvider {
    /** For the service loader. */
    public Jdbc() {}

    @Override
    public String kind() {
      return "jdbc";
    }

    @Override
    public LimiterStore open(String location) {
      if (!location.startsWith("jdbc:")) {
        throw new IllegalArgumentException("store.jdbc must be a JDBC URL starting with 'jdbc:', but was '"
            + location.replaceAll("password=[^&]*", "password=***") + "'");
      }
      return JdbcLimiterStore.builder(new UrlDataSource(location)).build();
    }
  }

  /** A data source that opens connections with {@link DriverManager}. */
  static final class UrlDataSource implements DataSource {
    private final String url;

    UrlDataSource(String url) {
      this.url = url;
    }

    @Override
    public Connection getConnection() throws SQLException {
      return DriverManager.getConnection(url);
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return DriverManager.getConnection(url, user, password);
    }

    @Override
    public PrintWriter getLogWriter() {
      return new PrintWriter(System.err);
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
      return Logger.getLogger("dev.mcpratelimit.jdbc");
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }
}
