package dev.mcpratelimit;

/** Whether a rule enforces its limit or only reports what it would have done. */
public enum Mode {
  /** Denials are enforced (the default). */
  ENFORCE,
  /** Never denies; would-be denials reach {@link RateLimitListener#onShadowDenied}. */
  SHADOW
}
