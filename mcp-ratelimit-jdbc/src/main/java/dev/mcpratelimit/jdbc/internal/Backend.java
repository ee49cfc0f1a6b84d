package dev.mcpratelimit.jdbc.internal;

import dev.mcpratelimit.Clock;
import dev.mcpratelimit.spi.Batch;
import java.sql.SQLException;
import java.util.Collection;
import org.jspecify.annotations.Nullable;

/** How one kind of database runs a decision. Implementations are thread-safe. */
public interface Backend extends AutoCloseable {
  /**
   * Runs a decision: fills the batch's probes (at {@code entries.order}) and, when every entry is
   * granted, keeps every cost.
   *
   * @param reap how many rows after a random key to check for expiry and delete (0: none)
   * @param live the clock to time the decision by when its locks are held (the engine's reading
   *     plus the wait), or {@code null} to decide at exactly the engine's reading
   * @return whether every entry was granted
   */
  boolean acquire(Entries entries, Batch batch, int reap, @Nullable Clock live) throws SQLException;

  /** Gives back what a granted decision took (everything, or only its permits). */
  void settle(Entries entries, long now, boolean permitsOnly) throws SQLException;

  /** @return the number of rows */
  long rowCount() throws SQLException;

  /** Deletes the rows of these space ids. */
  void discard(Collection<Long> spaceIds) throws SQLException;

  @Override
  void close();
}
