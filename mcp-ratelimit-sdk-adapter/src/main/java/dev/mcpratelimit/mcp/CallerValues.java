package dev.mcpratelimit.mcp;

import org.jspecify.annotations.Nullable;

/**
 * The one set of rules an identity value must meet, wherever it comes from: not empty, at most
 * {@value #MAX_LENGTH} characters, no control characters (so a hostile caller can create neither
 * huge nor log-breaking keys). {@link IdentityExtractor} and {@link McpHttpRateLimitFilter} drop a
 * request value that breaks them ({@link #clean}); {@link McpRateLimiting.Builder#callerAttribute}
 * rejects a configured one with the rule it broke ({@link #problem}).
 */
final class CallerValues {
  /** Longest identity value accepted. */
  static final int MAX_LENGTH = 256;

  private CallerValues() {}

  /** {@link #check}: the value meets every rule. */
  private static final int OK = -1;
  /** {@link #check}: the value is empty. */
  private static final int EMPTY = -2;
  /** {@link #check}: the value is longer than {@link #MAX_LENGTH}. */
  private static final int TOO_LONG = -3;

  /**
   * The rules, in the order they are reported.
   *
   * @return {@link #OK}, {@link #EMPTY}, {@link #TOO_LONG}, or the index of the first control character
   */
  private static int check(String value) {
    if (value.isEmpty()) {
      return EMPTY;
    }
    if (value.length() > MAX_LENGTH) {
      return TOO_LONG;
    }
    for (int i = 0; i < value.length(); i++) {
      if (Character.isISOControl(value.charAt(i))) {
        return i;
      }
    }
    return OK;
  }

  /**
   * @param value an identity value
   * @return the rule it breaks, phrased to follow the value's name ("must not be empty", "must be
   *     at most 256 characters, but was 300", "must not contain control characters, but has
   *     U+000A at index 5"), or {@code null} when it meets every rule
   */
  static @Nullable String problem(String value) {
    int c = check(value);
    switch (c) {
      case OK:
        return null;
      case EMPTY:
        return "must not be empty";
      case TOO_LONG:
        return "must be at most " + MAX_LENGTH + " characters, but was " + value.length();
      default:
        return "must not contain control characters, but has U+" + String.format("%04X", (int) value.charAt(c))
            + " at index " + c;
    }
  }

  /**
   * Allocates nothing: runs on every request's identity headers.
   *
   * @param value a value a request carries, or {@code null}
   * @return the value when it meets every rule, else {@code null} (treated as absent)
   */
  static @Nullable String clean(@Nullable String value) {
    return value != null && check(value) == OK ? value : null;
  }

  /**
   * @param s any text, e.g. a rejected name
   * @return the text with each control character escaped as a backslash, {@code u} and four hex
   *     digits, so a message quoting it stays on one line
   */
  static String printable(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isISOControl(c)) {
        b.append(String.format("\\u%04X", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
