package dev.mcpratelimit.internal;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.spi.LimitState;
import java.util.Objects;

/** Creates the state that implements a spec for one key. */
public final class LimitStates {
  private LimitStates() {}

  /** @return fresh state for {@code spec} */
  public static LimitState create(LimitSpec spec) {
    Objects.requireNonNull(spec, "spec");
    if (spec instanceof LimitSpec.TokenBucket tb) {
      return new GcraBucket(GcraBucket.Params.of(tb));
    } else if (spec instanceof LimitSpec.SlidingWindow sw) {
      return sw.exact() ? new ExactSlidingWindow(sw) : new SlidingWindowCounter(sw);
    } else if (spec instanceof LimitSpec.CalendarWindow cw) {
      return new CalendarWindowCounter(CalendarWindowCounter.Params.of(cw));
    } else if (spec instanceof LimitSpec.Concurrency c) {
      return new ConcurrencyPermits(c);
    }
    throw new IllegalArgumentException("unknown spec " + spec);
  }

  /**
   * A factory that shares the derived parameters of one spec among all keys' limiters, so a
   * store creates per-key state without recomputing them.
   *
   * @param spec the spec
   * @return a supplier of fresh limiters for {@code spec}
   */
  public static java.util.function.Supplier<LimitState> factory(LimitSpec spec) {
    Objects.requireNonNull(spec, "spec");
    if (spec instanceof LimitSpec.TokenBucket tb) {
      GcraBucket.Params p = GcraBucket.Params.of(tb);
      return () -> new GcraBucket(p);
    } else if (spec instanceof LimitSpec.CalendarWindow cw) {
      CalendarWindowCounter.Params p = CalendarWindowCounter.Params.of(cw);
      return () -> new CalendarWindowCounter(p);
    }
    return () -> create(spec);
  }
}
