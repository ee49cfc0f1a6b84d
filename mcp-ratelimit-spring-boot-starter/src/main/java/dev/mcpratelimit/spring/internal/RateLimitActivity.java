package dev.mcpratelimit.spring.internal;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimitListener;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Counts denials per rule and remembers the store's last error, for the actuator endpoint and the
 * health indicator. Rule names come from the policy (plus a few fixed reasons), so the map stays
 * small. Thread-safe; a decision costs one map lookup and an add.
 */
public final class RateLimitActivity implements RateLimitListener {
  private final ConcurrentHashMap<String, LongAdder> denials = new ConcurrentHashMap<>();
  private final LongAdder granted = new LongAdder();
  private volatile long lastDecisionMillis;
  private volatile long lastStoreErrorMillis;
  private volatile @Nullable String lastStoreError;

  @Override
  public void onGranted(CallContext call, Decision.Granted decision) {
    granted.increment();
    lastDecisionMillis = System.currentTimeMillis();
  }

  @Override
  public void onDenied(CallContext call, Decision.Denied denial) {
    denials.computeIfAbsent(denial.rule(), k -> new LongAdder()).increment();
    lastDecisionMillis = System.currentTimeMillis();
  }

  @Override
  public void onStoreError(Throwable error) {
    lastStoreError = error.getClass().getName() + ": " + error.getMessage();
    lastStoreErrorMillis = System.currentTimeMillis();
  }

  /** @return denials per rule name, sorted */
  public Map<String, Long> denialsByRule() {
    Map<String, Long> out = new TreeMap<>();
    denials.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** @return calls granted */
  public long granted() {
    return granted.sum();
  }

  /** @return whether the store failed more recently than a decision succeeded */
  public boolean storeFailing() {
    return lastStoreError != null && lastStoreErrorMillis >= lastDecisionMillis;
  }

  /** @return the last store error, or null */
  public @Nullable String lastStoreError() {
    return lastStoreError;
  }
}
