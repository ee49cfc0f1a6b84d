package dev.mcpratelimit.policy.internal;

import dev.mcpratelimit.LimitSpec;
import org.jspecify.annotations.Nullable;

/**
 * Reads one kind of limit: the value of a rule's {@code rateLimit}, {@code quota},
 * {@code slidingWindow}, {@code tokenBucket} or {@code concurrency} field (see
 * {@link LimitReaders}).
 */
interface LimitReader {

  /**
   * A limit as read.
   *
   * @param spec the limit
   * @param cost the cost the limit itself sets (a quota's {@code increment}), or {@code null}
   */
  record Limit(LimitSpec spec, CostReader.@Nullable Read cost) {}

  /**
   * @param r the reading, where problems go
   * @param rule the rule holding the field (for fields that qualify the limit, such as {@code exact})
   * @param value the field's value
   * @param path the field's path
   * @return the limit, or {@code null} after recording a problem
   */
  @Nullable Limit read(Reading r, Node.MapNode rule, Node value, String path);

  /** Builds a spec, turning the core's validation failure into a located problem. */
  static @Nullable Limit spec(Reading r, Node at, String path, java.util.function.Supplier<LimitSpec> make,
      CostReader.@Nullable Read cost) {
    try {
      return new Limit(make.get(), cost);
    } catch (IllegalArgumentException e) {
      r.problem(at, path, e.getMessage());
      return null;
    }
  }
}
