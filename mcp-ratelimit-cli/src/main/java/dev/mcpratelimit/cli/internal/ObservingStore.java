package dev.mcpratelimit.cli.internal;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.spi.Probe;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import java.util.Collection;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A store that decides exactly as the one it wraps and reports, after each batch, every entry's
 * rule, limit and remaining budget: how the simulator and {@code explain} see each rule's usage
 * without touching the engine.
 */
public final class ObservingStore implements LimiterStore {
  /** Receives one entry of a decided batch. */
  @FunctionalInterface
  public interface Observer {
    /**
     * @param rule the rule's name
     * @param spec its limit
     * @param cost the cost asked
     * @param probe the outcome (remaining after the attempt)
     * @param batchGranted whether the whole batch was granted (the cost was kept)
     */
    void entry(String rule, LimitSpec spec, long cost, Probe probe, boolean batchGranted);
  }

  private final LimiterStore delegate;
  private volatile Observer observer = (r, s, c, p, g) -> {};

  /** @param delegate the store that decides */
  public ObservingStore(LimiterStore delegate) {
    this.delegate = delegate;
  }

  /** @param observer who hears of each entry from now on */
  public void observe(Observer observer) {
    this.observer = observer;
  }

  @Override
  public @Nullable Ticket acquire(Batch batch) {
    Ticket t = delegate.acquire(batch);
    Observer o = observer;
    for (int i = 0; i < batch.size(); i++) {
      o.entry(batch.rule(i), batch.spec(i), batch.cost(i), batch.probe(i), t != null);
    }
    return t;
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
  public void discard(Collection<String> spaces) {
    delegate.discard(spaces);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
