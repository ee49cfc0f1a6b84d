package dev.mcpratelimit.jdbc;

import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import dev.mcpratelimit.testing.StoreContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The store contract suite, unchanged and whole, on the SQLite file store (a fresh temp file per store). */
class FileStoreContractTest extends StoreContract {
  @Override
  protected LimiterStore newStore(FakeClock clock) {
    try {
      Path dir = Files.createTempDirectory("mcp-rl-file");
      dir.toFile().deleteOnExit();
      Path file = dir.resolve("ratelimit.db");
      return JdbcLimiterStore.fileBuilder(file).clock(clock).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
