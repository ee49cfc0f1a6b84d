package dev.mcpratelimit.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.spi.StoreProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A policy file's {@code store: { file: ... }} / {@code { jdbc: ... }} reaches this module through the service loader. */
class StoreProviderTest {
  @Test
  void fileAndJdbcKindsOpenJdbcStores() throws Exception {
    Path dir = Files.createTempDirectory("mcp-rl-provider");
    dir.toFile().deleteOnExit();
    Path file = dir.resolve("ratelimit.db");
    try (LimiterStore s = StoreProvider.open("file", file.toString())) {
      assertInstanceOf(JdbcLimiterStore.class, s);
      assertEquals(0, s.keyCount());
    }
    assertTrue(Files.exists(file), "the file was created");
    try (LimiterStore s = StoreProvider.open("jdbc", "jdbc:sqlite:" + file)) {
      assertTrue(s.toString().contains("SQLite"), s.toString());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StoreProvider.open("jdbc", "postgres://host/db?password=s3cret"));
    assertTrue(e.getMessage().contains("jdbc:") && !e.getMessage().contains("s3cret"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> StoreProvider.open("mongo", "x"));
    assertTrue(e.getMessage().contains("file") && e.getMessage().contains("jdbc"), "names the known kinds: " + e.getMessage());
  }
}
