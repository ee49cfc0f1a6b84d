package dev.mcpratelimit.internal;

import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.Rule;

/**
 * What a store failure means for a call: a refused value (a bug or hostile input) is denied
 * whatever the failure mode, since retrying cannot help; an outage is decided by the policy's
 * failure mode, a denial when closed, a grant that holds nothing when open. (A shadow batch's
 * failure decides nothing: it is only reported.)
 */
final class StoreFailures {
  private StoreFailures() {}

  /**
   * Whether a store exception means the store refused a value, not that it cannot decide now:
   * {@link IllegalArgumentException} (the SPI's contract for a value the store cannot represent)
   * and {@link ArithmeticException}. Everything else is an outage.
   */
  static boolean isInvalidInput(RuntimeException e) {
    return e instanceof IllegalArgumentException || e instanceof ArithmeticException;
  }

  /**
   * The decision of a call whose enforced batch the store failed to take.
   *
   * @param first the rule of the batch's first entry, named by a refused-value denial
   */
  static Decision decide(RuntimeException e, Rule first, RateLimitPolicy.FailureMode mode) {
    if (isInvalidInput(e)) {
      return Decision.Denied.invalidCost(first.name(), first.key().dimensions(), 0,
          DenialMessages.unrepresentableCost(first));
    }
    if (mode == RateLimitPolicy.FailureMode.FAIL_CLOSED) {
      return Decision.Denied.storeUnavailable(DenialMessages.STORE_UNAVAILABLE);
    }
    return Grant.empty();
  }
}
