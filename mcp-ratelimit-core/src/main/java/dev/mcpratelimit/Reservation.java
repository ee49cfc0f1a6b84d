package dev.mcpratelimit;

/**
 * The costs a granted call holds. Exactly one of {@link #commit()} (the call happened: keep the
 * costs) and {@link #release()} (the call failed or was abandoned: give them back) takes effect;
 * both are idempotent and thread-safe, and either frees the call's concurrency permits.
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
