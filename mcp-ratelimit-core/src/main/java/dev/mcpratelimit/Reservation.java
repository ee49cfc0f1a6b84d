package dev.mcpratelimit;

/**
 * The costs a granted call holds. Exactly one of {@link #commit()} (the call happened: keep the
 * costs) and {@link #release()} (the call failed or was abandoned: give them back) takes effect;
 * both are idempotent and thread-safe, and either frees the call's concurrency permits.
 *
 * <p>Neither throws when the store fails (a refund or permit release that times out, say): the
 * call has already happened, so its result must not be lost to bookkeeping. The failure goes to
 * the limiter's listeners ({@link RateLimitListener#onStoreError}); a refund that failed is not
 * given back, and a concurrency permit that was not freed comes back when the store's lease on it
 * ends (the Redis store's permit lease; the in-memory store cannot fail this way).
 */
public interface Reservation {

  /** Keeps the costs and frees concurrency permits. Later calls to either method do nothing. */
  void commit();

  /**
   * Gives every cost back (as if the call had not happened, where the limit allows) and frees
   * concurrency permits. Later calls to either method do nothing.
   */
  void release();

  /** @return whether {@link #commit()} or {@link #release()} has taken effect */
  boolean isSettled();
}
