package dev.mcpratelimit.internal;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A dotted path into a call's arguments: {@code args.customer.id} or {@code customer.id} (the
 * {@code args.} prefix is optional); a numeric segment indexes a list.
 */
public final class ArgumentPath {
  /** Marker for "no value at this path" (distinct from an explicit JSON null). */
  public static final Object MISSING = new Object() {
    @Override
    public String toString() {
      return "<missing>";
    }
  };

  private final String text;
  private final String[] segments;

  private ArgumentPath(String text, String[] segments) {
    this.text = text;
    this.segments = segments;
  }

  /**
   * Parses a path.
   *
   * @throws IllegalArgumentException when empty or with an empty segment
   */
  public static ArgumentPath parse(String path) {
    Objects.requireNonNull(path, "path");
    String p = path.startsWith("args.") ? path.substring(5) : path;
    if (p.isEmpty()) {
      throw new IllegalArgumentException("argument path must name an argument, but was '" + path + "'");
    }
    String[] segs = p.split("\\.", -1);
    for (String s : segs) {
      if (s.isEmpty()) {
        throw new IllegalArgumentException("argument path has an empty segment: '" + path + "'");
      }
    }
    return new ArgumentPath(path, segs);
  }

  /** @return the value at this path, or {@link #MISSING} */
  public @Nullable Object read(Map<String, ?> arguments) {
    Object cur = arguments;
    for (String seg : segments) {
      if (cur instanceof Map<?, ?> m) {
        if (!m.containsKey(seg)) {
          return MISSING;
        }
        cur = m.get(seg);
      } else if (cur instanceof List<?> l) {
        int idx;
        try {
          idx = Integer.parseInt(seg);
        } catch (NumberFormatException e) {
          return MISSING;
        }
        if (idx < 0 || idx >= l.size()) {
          return MISSING;
        }
        cur = l.get(idx);
      } else {
        return MISSING;
      }
    }
    return cur;
  }

  @Override
  public String toString() {
    return text;
  }
}
