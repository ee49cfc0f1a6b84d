package dev.mcpratelimit;

/** Why a call was denied. */
public enum DenialReason {
  /** A limit is exhausted. */
  RATE_LIMITED("rate_limited"),
  /** A rule's condition on the arguments failed. */
  CONDITION_FAILED("condition_failed"),
  /** An argument-derived cost was missing or not a usable number. */
  INVALID_COST("invalid_cost"),
  /**
   * A key part (an identity or argument value the rule is keyed by) is longer than the limiter
   * allows ({@code RateLimiter.Builder.maxKeyPartLength}).
   */
  INVALID_KEY("invalid_key"),
  /** The rule requires an identity the call does not carry. */
  MISSING_IDENTITY("missing_identity"),
  /** No rule names the target and the policy's default is deny. */
  NOT_ALLOWED("not_allowed"),
  /** The tool is hidden by policy. */
  HIDDEN("hidden"),
  /** An upstream throttled this scope; calls back off until it recovers. */
  BACKOFF("upstream_backoff"),
  /** The store failed and the policy fails closed. */
  STORE_UNAVAILABLE("store_unavailable");

  private final String code;

  DenialReason(String code) {
    this.code = code;
  }

  /** @return the machine-readable code, e.g. {@code rate_limited} */
  public String code() {
    return code;
  }
}
