/**
 * The relational store of mcp-ratelimit: {@link dev.mcpratelimit.jdbc.JdbcLimiterStore} on
 * PostgreSQL or an SQLite file. Exports {@code dev.mcpratelimit.jdbc} only; provides the
 * {@code file} and {@code jdbc} kinds of {@link dev.mcpratelimit.spi.StoreProvider} (also listed in
 * {@code META-INF/services} for the class path). The SQLite driver is optional; a PostgreSQL driver
 * is the user's (found through {@link java.sql.DriverManager}).
 *
 * @provides dev.mcpratelimit.spi.StoreProvider the {@code file} (SQLite) and {@code jdbc} (URL) stores
 */
module dev.mcpratelimit.jdbc {
  requires transitive dev.mcpratelimit;
  requires transitive java.sql;
  requires static org.xerial.sqlitejdbc;

  exports dev.mcpratelimit.jdbc;

  provides dev.mcpratelimit.spi.StoreProvider
      with dev.mcpratelimit.jdbc.internal.Providers.File, dev.mcpratelimit.jdbc.internal.Providers.Jdbc;
}
