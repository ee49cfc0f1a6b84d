package dev.mcpratelimit;

import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What one limit allows, independent of whom it is applied to. Every acquisition takes a
 * <em>cost</em> (a weight, 1 for "one call"); a quota such as "$10,000 per day" is a window spec
 * whose costs come from the call's arguments.
 *
 * <p>Specs are immutable values, validated when created: a bad argument raises an
 * {@link IllegalArgumentException} that names the field and the bad value. Create them with the
 * static factories of this interface.
 */
public sealed interface LimitSpec
    permits LimitSpec.TokenBucket, LimitSpec.SlidingWindow, LimitSpec.CalendarWindow,
        LimitSpec.Concurrency {

  /** Largest limit of an exact sliding window (its state is one timestamp per unit of limit). */
  long MAX_EXACT_WINDOW_LIMIT = 100_000;

  /** Largest limit of a calendar window (its count shares one {@code long} with the window tag). */
  long MAX_CALENDAR_WINDOW_LIMIT = (1L << 40) - 1;

  /**
   * The former name of {@link #MAX_CALENDAR_WINDOW_LIMIT}.
   *
   * @deprecated use {@link #MAX_CALENDAR_WINDOW_LIMIT}; this alias will be removed before 1.0
   */
  @Deprecated
  long MAX_FIXED_WINDOW_LIMIT = MAX_CALENDAR_WINDOW_LIMIT;

  /** Longest period, window or burst time a spec may span: 2^61 ns, about 73 years. */
  long MAX_SPAN_NANOS = 1L << 61;

  /**
   * The most cost this limit allows at once: a token bucket's capacity, a window's limit, a
   * concurrency limit's permits.
   *
   * @return the limit, at least 1
   */
  long limit();

  /**
   * The time over which {@link #limit()} applies, for display and for the IETF {@code w}
   * parameter: a token bucket's time to refill from empty, a window's length; {@code null} for a
   * concurrency limit.
   *
   * @return the window, or {@code null}
   */
  @Nullable Duration window();

  /**
   * A token bucket (GCRA): holds up to {@code capacity} tokens and regains {@code refillTokens}
   * every {@code refillPeriod}. Burst = capacity. One {@code long} of state per key.
   *
   * @param capacity the burst size, at least 1
   * @param refillTokens tokens regained per period, at least 1
   * @param refillPeriod the refill period, positive
   * @return the spec
   * @throws IllegalArgumentException if a value is out of range
   */
  static TokenBucket tokenBucket(long capacity, long refillTokens, Duration refillPeriod) {
    return new TokenBucket(capacity, refillTokens, refillPeriod);
  }

  /**
   * A sliding window estimated from two counters of consecutive windows (the current and the
   * previous window, the latter weighted by how much of it still overlaps). Constant state per key.
   *
   * @param limit the cost allowed in any window-length interval, at least 1
   * @param window the window length, positive
   * @return the spec
   */
  static SlidingWindow slidingWindow(long limit, Duration window) {
    return new SlidingWindow(limit, window, false);
  }

  /**
   * An exact sliding window: a log of the last {@code limit} grant times. Never grants more than
   * {@code limit} in any window-length interval; its state grows with the limit, so the limit is
   * capped at {@link #MAX_EXACT_WINDOW_LIMIT}.
   *
   * @param limit the cost allowed in any window-length interval, 1 to {@value #MAX_EXACT_WINDOW_LIMIT}
   * @param window the window length, positive
   * @return the spec
   */
  static SlidingWindow exactSlidingWindow(long limit, Duration window) {
    return new SlidingWindow(limit, window, true);
  }

  /**
   * A calendar window in UTC: {@code calendarWindow(5, HOUR)} allows 5 from the top of each hour
   * until the next hour begins (the policy file's {@code rateLimit: 5/hour} and {@code quota}).
   *
   * @param limit the cost allowed per window, 1 to {@value #MAX_CALENDAR_WINDOW_LIMIT}
   * @param unit minute, hour or day
   * @return the spec
   */
  static CalendarWindow calendarWindow(long limit, WindowUnit unit) {
    return new CalendarWindow(limit, unit, ZoneOffset.UTC);
  }

  /**
   * A calendar window in the given time zone (windows follow its local midnight and hours,
   * including daylight-saving changes).
   *
   * @param limit the cost allowed per window, 1 to {@value #MAX_CALENDAR_WINDOW_LIMIT}
   * @param unit minute, hour or day
   * @param zone the zone whose calendar aligns the windows
   * @return the spec
   */
  static CalendarWindow calendarWindow(long limit, WindowUnit unit, ZoneId zone) {
    return new CalendarWindow(limit, unit, zone);
  }

  /**
   * The former name of {@link #calendarWindow(long, WindowUnit)}.
   *
   * @param limit the cost allowed per window, 1 to {@value #MAX_CALENDAR_WINDOW_LIMIT}
   * @param unit minute, hour or day
   * @return the spec
   * @deprecated use {@link #calendarWindow(long, WindowUnit)}; this alias will be removed before 1.0
   */
  @Deprecated
  static CalendarWindow fixedWindow(long limit, WindowUnit unit) {
    return calendarWindow(limit, unit);
  }

  /**
   * The former name of {@link #calendarWindow(long, WindowUnit, ZoneId)}.
   *
   * @param limit the cost allowed per window, 1 to {@value #MAX_CALENDAR_WINDOW_LIMIT}
   * @param unit minute, hour or day
   * @param zone the zone whose calendar aligns the windows
   * @return the spec
   * @deprecated use {@link #calendarWindow(long, WindowUnit, ZoneId)}; this alias will be removed
   *     before 1.0
   */
  @Deprecated
  static CalendarWindow fixedWindow(long limit, WindowUnit unit, ZoneId zone) {
    return calendarWindow(limit, unit, zone);
  }

  /**
   * At most {@code maxInFlight} cost held at once; a permit is held until released.
   *
   * @param maxInFlight the number of permits, at least 1
   * @return the spec
   */
  static Concurrency concurrency(long maxInFlight) {
    return new Concurrency(maxInFlight);
  }

  /**
   * See {@link LimitSpec#tokenBucket(long, long, Duration)}.
   *
   * @param capacity the burst size
   * @param refillTokens tokens regained per period
   * @param refillPeriod the refill period
   */
  record TokenBucket(long capacity, long refillTokens, Duration refillPeriod) implements LimitSpec {
    /** Validates the fields. */
    public TokenBucket {
      Specs.positive("capacity", capacity);
      Specs.positive("refillTokens", refillTokens);
      long periodNanos = Specs.span("refillPeriod", refillPeriod);
      if (periodNanos < refillTokens) {
        throw new IllegalArgumentException(
            "refillTokens must not exceed one per nanosecond of refillPeriod, but was "
                + refillTokens + " per " + refillPeriod);
      }
      long interval = Specs.ceilDiv(periodNanos, refillTokens);
      if (capacity > MAX_SPAN_NANOS / interval) {
        throw new IllegalArgumentException(
            "capacity " + capacity + " takes longer than 2^61 ns (73 years) to refill at "
                + refillTokens + " per " + refillPeriod);
      }
    }

    /**
     * The emission interval: nanoseconds to regain one token, rounded up (so the bucket never
     * refills faster than specified).
     *
     * @return nanoseconds per token, at least 1
     */
    public long nanosPerToken() {
      return Specs.ceilDiv(refillPeriod.toNanos(), refillTokens);
    }

    @Override
    public long limit() {
      return capacity;
    }

    @Override
    public Duration window() {
      return Duration.ofNanos(capacity * nanosPerToken());
    }
  }

  /**
   * See {@link LimitSpec#slidingWindow(long, Duration)} and
   * {@link LimitSpec#exactSlidingWindow(long, Duration)}.
   *
   * @param limit the cost allowed in any window-length interval
   * @param window the window length
   * @param exact whether the exact (timestamp log) variant is used
   */
  record SlidingWindow(long limit, Duration window, boolean exact) implements LimitSpec {
    /** Validates the fields. */
    public SlidingWindow {
      Specs.positive("limit", limit);
      Specs.span("window", window);
      if (exact && limit > MAX_EXACT_WINDOW_LIMIT) {
        throw new IllegalArgumentException(
            "limit of an exact sliding window must be at most " + MAX_EXACT_WINDOW_LIMIT
                + ", but was " + limit + " (use the estimated sliding window)");
      }
    }
  }

  /**
   * See {@link LimitSpec#calendarWindow(long, WindowUnit, ZoneId)}.
   *
   * @param limit the cost allowed per window
   * @param unit the calendar unit
   * @param zone the zone whose calendar aligns the windows
   */
  record CalendarWindow(long limit, WindowUnit unit, ZoneId zone) implements LimitSpec {
    /** Validates the fields. */
    public CalendarWindow {
      Specs.positive("limit", limit);
      if (limit > MAX_CALENDAR_WINDOW_LIMIT) {
        throw new IllegalArgumentException(
            "limit of a calendar window must be at most " + MAX_CALENDAR_WINDOW_LIMIT + ", but was " + limit);
      }
      Objects.requireNonNull(unit, "unit");
      Objects.requireNonNull(zone, "zone");
    }

    @Override
    public Duration window() {
      return unit.nominalLength();
    }
  }

  /**
   * See {@link LimitSpec#concurrency(long)}.
   *
   * @param maxInFlight the number of permits
   */
  record Concurrency(long maxInFlight) implements LimitSpec {
    /** Validates the field. */
    public Concurrency {
      Specs.positive("maxInFlight", maxInFlight);
    }

    @Override
    public long limit() {
      return maxInFlight;
    }

    @Override
    public @Nullable Duration window() {
      return null;
    }
  }
}

/** Validation helpers shared by the spec records. */
final class Specs {
  private Specs() {}

  static void positive(String field, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(field + " must be at least 1, but was " + value);
    }
  }

  static long span(String field, @Nullable Duration d) {
    if (d == null) {
      throw new IllegalArgumentException(field + " must not be null");
    }
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(field + " must be positive, but was " + d);
    }
    if (d.compareTo(Duration.ofNanos(LimitSpec.MAX_SPAN_NANOS)) > 0) {
      throw new IllegalArgumentException(field + " must be at most 2^61 ns (73 years), but was " + d);
    }
    return d.toNanos();
  }

  static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }
}
