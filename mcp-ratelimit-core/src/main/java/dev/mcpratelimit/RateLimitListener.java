package dev.mcpratelimit;

import java.util.List;

/**
 * Receives decision events, for metrics, logs and alerts. Every method has a no-op default.
 *
 * <p>Called synchronously on the deciding thread, so keep it fast. An exception thrown by a
 * listener is caught and ignored: it never breaks a call.
 */
public interface RateLimitListener {

  /**
   * A call was granted.
   *
   * @param call the call
   * @param decision the grant
   */
  default void onGranted(CallContext call, Decision.Granted decision) {}

  /**
   * A call was denied.
   *
   * @param call the call
   * @param denial the denial
   */
  default void onDenied(CallContext call, Decision.Denied denial) {}

  /**
   * A shadow-mode rule would have denied a call (the call was not denied for it).
   *
   * @param call the call
   * @param wouldBe the denial it would have received
   */
  default void onShadowDenied(CallContext call, Decision.Denied wouldBe) {}

  /**
   * A call waited for capacity instead of being denied.
   *
   * @param call the call
   * @param waitedNanos how long it waited
   */
  default void onWaited(CallContext call, long waitedNanos) {}

  /**
   * The store dropped live state of a rule to stay under its key cap (the limit forgot that
   * key's debt).
   *
   * @param rule the rule's name
   */
  default void onEvicted(String rule) {}

  /**
   * The store failed. While deciding a call, the policy's failure mode decided it; while settling
   * a call that already ran ({@link Reservation#commit()} or {@link Reservation#release()}), the
   * call's result stands and its refund or permit release is lost (permits come back when their
   * lease ends).
   *
   * @param error the failure
   */
  default void onStoreError(Throwable error) {}

  /** @return a listener that does nothing */
  static RateLimitListener noop() {
    return NoopListener.INSTANCE;
  }

  /**
   * @param listeners listeners to call in order (each isolated from the others' exceptions)
   * @return one listener calling all of them
   */
  static RateLimitListener composite(List<RateLimitListener> listeners) {
    return dev.mcpratelimit.internal.SafeListener.composite(listeners);
  }
}

/** The no-op listener. */
final class NoopListener implements RateLimitListener {
  static final NoopListener INSTANCE = new NoopListener();

  private NoopListener() {}
}
