package dev.mcpratelimit;

import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import dev.mcpratelimit.testing.StoreContract;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The store contract on a store that keeps its own time, as a Redis store does with
 * {@code TIME}: the in-memory store deciding every batch on the system clock, whatever time the
 * engine's fake clock says. Proves the suite's time-independent cases hold on such a store (the
 * time-dependent ones are skipped), so a remote store can run it unchanged.
 */
class OwnClockStoreTest extends StoreContract {

  @Override
  protected LimiterStore newStore(FakeClock clock) {
    return new OwnClockStore();
  }

  @Override
  protected boolean storeUsesInjectedClock() {
    return false;
  }

  /** Re-times every batch to the system clock before the in-memory store decides it. */
  private static final class OwnClockStore implements LimiterStore {
    private final LimiterStore delegate = LimiterStore.inMemory(10_000, Clock.system());

    @Override
    public @Nullable Ticket acquire(Batch batch) {
      Batch own = new Batch().reset(Clock.system().nanos());
      for (int i = 0; i < batch.size(); i++) {
        own.add(batch.rule(i), batch.space(i), batch.part(i), batch.spec(i), batch.cost(i), batch.maxWaitNanos(i));
      }
      try {
        return delegate.acquire(own);
      } finally {
        for (int i = 0; i < batch.size(); i++) {
          dev.mcpratelimit.Probe p = own.probe(i);
          batch.probe(i).set(p.granted(), p.remaining(), p.retryAfterNanos(), p.resetAtNanos(), p.waitNanos());
        }
      }
    }

    @Override
    public long keyCount() {
      return delegate.keyCount();
    }

    @Override
    public long liveEvictions() {
      return delegate.liveEvictions();
    }

    @Override
    public void onEviction(Consumer<String> onEviction) {
      delegate.onEviction(onEviction);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
