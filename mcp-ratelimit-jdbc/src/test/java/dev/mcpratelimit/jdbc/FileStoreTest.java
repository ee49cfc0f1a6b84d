package dev.mcpratelimit.jdbc;

import dev.mcpratelimit.testing.FakeClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;

/** Durability, sharing and reaping on the SQLite file store: every store of a test on one temp file. */
class FileStoreTest extends JdbcStoreBehaviour {
  private Path file;

  @BeforeEach
  void newFile() throws IOException {
    Path dir = Files.createTempDirectory("mcp-rl-file");
    dir.toFile().deleteOnExit();
    file = dir.resolve("ratelimit.db");
  }

  @Override
  JdbcLimiterStore store(FakeClock clock, boolean fresh, int reapEvery, int reapBatch) {
    return JdbcLimiterStore.fileBuilder(file).clock(clock).reaping(reapEvery, reapBatch).build();
  }
}
