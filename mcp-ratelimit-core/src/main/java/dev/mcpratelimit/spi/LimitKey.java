package dev.mcpratelimit.spi;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The key of one limit state: the rule's state identity (its name, key dimensions and limit)
 * plus the resolved identity part (a user id, a tenant id, …; {@code null} for the bucket shared
 * by callers without that identity). Two keys are equal exactly when both components are, so
 * keys cannot collide whatever characters they contain.
 *
 * <p>Immutable and thread-safe.
 */
public final class LimitKey {
  private final String rule;
  private final String space;
  private final @Nullable String part;
  private int hash;

  /**
   * @param rule the rule's name (for reports)
   * @param space the rule's state identity (see {@link dev.mcpratelimit.Rule#stateIdentity()})
   * @param part the identity part, or {@code null} for the shared anonymous bucket
   */
  public LimitKey(String rule, String space, @Nullable String part) {
    this.rule = Objects.requireNonNull(rule, "rule");
    this.space = Objects.requireNonNull(space, "space");
    this.part = part;
  }

  /** @return the name of the rule this key belongs to */
  public String rule() {
    return rule;
  }

  /** @return the rule's state identity */
  public String space() {
    return space;
  }

  /** @return the identity part, or {@code null} for the shared anonymous bucket */
  public @Nullable String part() {
    return part;
  }

  /**
   * A single-string form for external stores, injective: each component is written as its UTF-8
   * byte length, {@code ':'}, and the bytes; an absent part is written as {@code -}.
   *
   * @return the encoded key
   */
  public String encoded() {
    StringBuilder sb = new StringBuilder(space.length() + (part == null ? 4 : part.length() + 8));
    sb.append(space.getBytes(StandardCharsets.UTF_8).length).append(':').append(space);
    if (part == null) {
      sb.append('-');
    } else {
      sb.append(part.getBytes(StandardCharsets.UTF_8).length).append(':').append(part);
    }
    return sb.toString();
  }

  @Override
  public boolean equals(@Nullable Object o) {
    if (this == o) {
      return true;
    }
    return o instanceof LimitKey k && space.equals(k.space) && Objects.equals(part, k.part);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = 31 * space.hashCode() + (part == null ? 0x5bd1e995 : part.hashCode());
      hash = h == 0 ? 1 : h;
    }
    return h;
  }

  @Override
  public String toString() {
    return "LimitKey{" + rule + (part == null ? ", shared" : "") + '}'; // no identity values in logs
  }
}
