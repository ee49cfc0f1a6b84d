/**
 * Durable limiter state in a SQL database: {@link dev.mcpratelimit.jdbc.JdbcLimiterStore}, on
 * PostgreSQL (many servers, one round trip per decision) or an SQLite file (one server).
 */
@NullMarked
package dev.mcpratelimit.jdbc;

import org.jspecify.annotations.NullMarked;
