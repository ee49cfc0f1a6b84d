package dev.mcpratelimit;

/** What a rule does when its key cannot be resolved (no user, no tenant, …). */
public enum MissingIdentity {
  /** All callers without the identity share one bucket (the default). */
  SHARED,
  /** The call is denied. */
  DENY,
  /** The rule does not apply to the call. */
  SKIP
}
