package dev.mcpratelimit.spi;

import dev.mcpratelimit.Clock;
import dev.mcpratelimit.internal.CaffeineStore;
import java.util.Collection;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Where limiter state lives: in memory ({@link #inMemory()}) or remotely (the Redis module).
 *
 * <p>A store takes a whole {@link Batch} atomically: either every entry's cost is taken, or none
 * is. Implementations must be thread-safe.
 */
public interface LimiterStore extends AutoCloseable {

  /** Default cap on the keys an in-memory store holds per rule. */
  long DEFAULT_MAXIMUM_KEYS = 1_000_000;

  /**
   * Tries to take every entry of the batch at once. Fills every entry's probe (granted or not,
   * remaining, retry-after, reset, wait). A token-bucket entry with a positive max wait may book
   * a future slot ({@link dev.mcpratelimit.spi.Probe#waitNanos()}).
   *
   * @param batch the entries; reused by the caller once this returns
   * @return a ticket holding the taken costs when every entry was granted; {@code null} when any
   *     was denied, in which case no cost is kept
   * @throws IllegalArgumentException when the batch holds a value the store cannot represent; the
   *     engine denies the call ({@link dev.mcpratelimit.DenialReason#INVALID_COST}) whatever the
   *     failure mode, since retrying cannot help
   * @throws RuntimeException any other exception means the store cannot decide now (unreachable,
   *     timed out); the engine applies the policy's failure mode
   */
  @Nullable Ticket acquire(Batch batch);

  /**
   * The largest cost, limit or capacity this store represents exactly. The engine rejects, when a
   * limiter is built (and when its policy is replaced), a rule whose limit or capacity is larger,
   * and denies a call whose cost is larger as {@link dev.mcpratelimit.DenialReason#INVALID_COST}
   * before calling {@link #acquire}, so a store never sees a value it cannot hold.
   *
   * @return the largest exact value; {@code Long.MAX_VALUE} by default
   */
  default long maxCost() {
    return Long.MAX_VALUE;
  }

  /**
   * The number of keys currently held, or -1 when unknown.
   *
   * @return the key count
   */
  default long keyCount() {
    return -1;
  }

  /**
   * The number of keys dropped while they still held state (to stay under a size cap).
   *
   * @return the count of live evictions so far
   */
  default long liveEvictions() {
    return 0;
  }

  /**
   * Registers the engine's callback for live evictions: called with the evicted key's rule name.
   * A store has one callback: the engine built last on a store replaces the one before, so share
   * a store between engines only when the newest one is the one whose listeners should hear of
   * evictions (as when a policy is rebuilt); {@link #liveEvictions()} counts them all either way.
   *
   * @param onEviction the callback
   */
  default void onEviction(Consumer<String> onEviction) {}

  /**
   * Drops the state of rules that a policy change removed or changed, so that a long-running
   * server reloading its policy does not keep their keys. The engine calls this from
   * {@code updatePolicy} with the {@linkplain dev.mcpratelimit.Rule#stateIdentity() state
   * identities} that the old policy used and the new one does not; calls in flight that hold state
   * there settle harmlessly. Stores whose state expires by itself (the Redis store's TTLs) may
   * ignore it; the default does nothing. LimitStates that share one store should share one policy,
   * or a reload of one drops state the other still uses.
   *
   * @param spaces state identities no longer in use
   */
  default void discard(Collection<String> spaces) {}

  /** Releases resources (connections). The default does nothing. */
  @Override
  default void close() {}

  /**
   * Costs taken by one granted batch, settled at most once.
   *
   * <p><b>Who settles.</b> The engine, on the caller's behalf: the caller settles the call's
   * {@link dev.mcpratelimit.Decision.Granted grant} ({@link dev.mcpratelimit.Reservation#commit()
   * commit} when the call ran, {@link dev.mcpratelimit.Reservation#release() release} when it did
   * not), and the grant settles the tickets behind it: commit as {@link #releasePermits()}, release
   * as {@link #refund()}.
   *
   * <p><b>At most once.</b> The engine calls at most one of the two methods of a ticket, at most
   * once. A caller's second commit or release, or a commit racing a release on another thread, is
   * absorbed by the grant's one compare-and-set (the first settle wins; every later one does
   * nothing), so a store needs no guard of its own. A grant that is never settled settles nothing:
   * its costs stay taken, and its concurrency permits come back only when the store's lease on them
   * ends (as for a server that crashed mid-call).
   *
   * <p><b>Threads.</b> A ticket may be settled on any thread, long after {@link #acquire}, while
   * other batches of the same store are acquired and settled: it must hold what it needs (the
   * batch is reused once {@code acquire} returns) and be safe to settle from a thread other than
   * the one that acquired it.
   *
   * <p><b>Failures.</b> Either method may throw when the store cannot settle now (a timeout). The
   * engine reports the exception to the listeners' {@link dev.mcpratelimit.RateLimitListener#onStoreError
   * onStoreError} and never to the caller, whose call has already run; a refund that failed is
   * not given back.
   */
  interface Ticket {
    /** Gives back every cost (refund), including concurrency permits: the call did not happen. */
    void refund();

    /** Keeps the costs and frees only the concurrency permits: the call happened. */
    void releasePermits();
  }

  /**
   * An in-memory store holding at most {@value #DEFAULT_MAXIMUM_KEYS} keys per rule. An idle key
   * (bucket full, window over) holds what a fresh key would, so it is dropped (by a sweep that
   * runs alongside decisions, and in full on {@link #keyCount()}) and costs nothing.
   *
   * @return a new store
   */
  static LimiterStore inMemory() {
    return inMemory(DEFAULT_MAXIMUM_KEYS);
  }

  /**
   * An in-memory store with a hard cap on keys per rule state space (a rule's name, key
   * dimensions and limit), so a policy with R limit rules holds at most R × maximumKeys keys. When
   * the cap is reached idle keys go first, then the least busy of a few sampled keys; dropping one
   * that still holds state (a partly drained bucket) forgets its debt, so such evictions are
   * counted and reported to listeners.
   *
   * @param maximumKeys the cap, at least 1
   * @return a new store
   */
  static LimiterStore inMemory(long maximumKeys) {
    return inMemory(maximumKeys, Clock.system());
  }

  /**
   * As {@link #inMemory(long)}, with the clock that times expiry: pass the engine's clock (a
   * {@code FakeClock} in tests) so keys expire on the same timeline their state is kept on.
   *
   * @param maximumKeys the cap, at least 1
   * @param clock the clock
   * @return a new store
   */
  static LimiterStore inMemory(long maximumKeys, Clock clock) {
    if (maximumKeys < 1) {
      throw new IllegalArgumentException("maximumKeys must be at least 1, but was " + maximumKeys);
    }
    return new CaffeineStore(maximumKeys, clock);
  }
}
