package dev.mcpratelimit.internal;

import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimitListener;
import dev.mcpratelimit.spi.LimiterStore;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Assembles the grant of a call from the store tickets of its enforced and shadow rules, and
 * settles those tickets when the caller settles the grant: commit keeps the costs and frees the
 * permits ({@link LimiterStore.Ticket#releasePermits()}), release gives them back
 * ({@link LimiterStore.Ticket#refund()}), each ticket exactly once, as the SPI promises the store.
 *
 * <p>Settling never throws: the call it settles has already run, so a store failure then (a
 * timeout on a refund or a permit release) goes to the listeners' {@code onStoreError} instead of
 * replacing the call's result; permits that were not freed come back when the store's lease on
 * them ends.
 */
final class Grant extends Settlement {
  private final LimiterStore.@Nullable Ticket ticket;
  private final LimiterStore.@Nullable Ticket shadowTicket;
  private final long delay;
  private final List<Decision.Denied> shadowDenials;
  private final @Nullable RateLimitListener errors;

  private Grant(LimiterStore.@Nullable Ticket ticket, LimiterStore.@Nullable Ticket shadowTicket, long delay,
      List<Decision.Denied> shadowDenials, @Nullable RateLimitListener errors) {
    this.ticket = ticket;
    this.shadowTicket = shadowTicket;
    this.delay = delay;
    this.shadowDenials = shadowDenials;
    this.errors = errors;
  }

  /**
   * The grant of a call. When there is nothing to say but "granted" (no delay, no shadow rule) and
   * the store's ticket is a {@link Settlement} itself (the in-memory store's are), the ticket is
   * the grant: no second object. Any other ticket (another store's) is wrapped, so the caller
   * always settles through the one mechanism and a store's ticket is never exposed as the API's
   * grant unless core made it one.
   *
   * @param ticket the enforced rules' ticket, or {@code null} when none was taken
   * @param shadowTicket the shadow rules' ticket, or {@code null}
   * @param delay nanoseconds the caller waits first, 0 or more
   * @param shadowDenials what shadow rules would have denied, or {@code null} for none
   * @param errors who hears of settle failures, or {@code null}
   */
  static Decision.Granted of(LimiterStore.@Nullable Ticket ticket, LimiterStore.@Nullable Ticket shadowTicket,
      long delay, @Nullable List<Decision.Denied> shadowDenials, @Nullable RateLimitListener errors) {
    if (delay == 0 && shadowTicket == null && shadowDenials == null && ticket instanceof Settlement s) {
      return s;
    }
    return new Grant(ticket, shadowTicket, delay, shadowDenials == null ? List.of() : List.copyOf(shadowDenials),
        errors);
  }

  /** A grant that holds nothing (no rule applied, or the store failed open): its own instance per call. */
  static Decision.Granted empty() {
    return new Grant(null, null, 0, List.of(), null);
  }

  @Override
  public long delayNanos() {
    return delay;
  }

  @Override
  public List<Decision.Denied> shadowDenials() {
    return shadowDenials;
  }

  @Override
  void keep() {
    settle(ticket, false);
    settle(shadowTicket, false);
  }

  @Override
  void giveBack() {
    settle(ticket, true);
    settle(shadowTicket, true);
  }

  private void settle(LimiterStore.@Nullable Ticket t, boolean refund) {
    if (t == null) {
      return;
    }
    try {
      if (refund) {
        t.refund();
      } else {
        t.releasePermits();
      }
    } catch (RuntimeException e) {
      if (errors != null) {
        errors.onStoreError(e);
      }
    }
  }

  @Override
  public String toString() {
    return "Granted{delayNanos=" + delay + ", settled=" + isSettled() + '}';
  }
}
