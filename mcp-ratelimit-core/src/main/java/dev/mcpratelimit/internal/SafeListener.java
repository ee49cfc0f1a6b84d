package dev.mcpratelimit.internal;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimitListener;
import java.util.List;

/** Calls listeners and swallows what they throw: a listener never breaks a call. */
public final class SafeListener implements RateLimitListener {
  private final RateLimitListener[] listeners;

  private SafeListener(List<RateLimitListener> listeners) {
    this.listeners = listeners.toArray(new RateLimitListener[0]);
  }

  /** @return a listener calling each of {@code listeners}, isolated from their exceptions */
  public static RateLimitListener composite(List<RateLimitListener> listeners) {
    return new SafeListener(List.copyOf(listeners));
  }

  /** @return whether there is no listener to call */
  public boolean isEmpty() {
    return listeners.length == 0;
  }

  @Override
  public void onGranted(CallContext call, Decision.Granted decision) {
    for (RateLimitListener l : listeners) {
      try {
        l.onGranted(call, decision);
      } catch (RuntimeException | LinkageError ignored) {
        // by contract
      }
    }
  }

  @Override
  public void onDenied(CallContext call, Decision.Denied denial) {
    for (RateLimitListener l : listeners) {
      try {
        l.onDenied(call, denial);
      } catch (RuntimeException | LinkageError ignored) {
        // by contract
      }
    }
  }

  @Override
  public void onShadowDenied(CallContext call, Decision.Denied wouldBe) {
    for (RateLimitListener l : listeners) {
      try {
        l.onShadowDenied(call, wouldBe);
      } catch (RuntimeException | LinkageError ignored) {
        // by contract
      }
    }
  }

  @Override
  public void onWaited(CallContext call, long waitedNanos) {
    for (RateLimitListener l : listeners) {
      try {
        l.onWaited(call, waitedNanos);
      } catch (RuntimeException | LinkageError ignored) {
        // by contract
      }
    }
  }

  @Override
  public void onEvicted(String rule) {
    for (RateLimitListener l : listeners) {
      try {
        l.onEvicted(rule);
      } catch (RuntimeException | LinkageError ignored) {
        // by contract
      }
    }
  }

  @Override
  public void onStoreError(Throwable error) {
    for (RateLimitListener l : listeners) {
      try {
        l.onStoreError(error);
      } catch (RuntimeException | LinkageError ignored) {
        // by contract
      }
    }
  }
}
