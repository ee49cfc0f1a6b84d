package dev.mcpratelimit;

import dev.mcpratelimit.internal.ArgumentPath;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How much of a limit one call spends: a constant, or a number taken from the call's arguments
 * (a spend quota counts {@code args.amount}, not calls).
 *
 * <p>An argument-derived cost must be a finite, non-negative JSON number that fits a
 * {@code long}; a whole number unless the cost rounds fractions up. Anything else — missing,
 * null, text, NaN, negative, fractional, too large — makes {@link #resolve} throw an
 * {@link InvalidCostException} whose message says what was wrong; the engine turns that into a
 * denial that touches no counter. Immutable and thread-safe.
 */
public final class Cost {
  private static final Cost ONE = new Cost(1, null, false);

  private final long constant;
  private final @Nullable ArgumentPath path;
  private final boolean roundUp;

  private Cost(long constant, @Nullable ArgumentPath path, boolean roundUp) {
    this.constant = constant;
    this.path = path;
    this.roundUp = roundUp;
  }

  /** @return a cost of 1 per call */
  public static Cost one() {
    return ONE;
  }

  /**
   * @param cost a constant cost per call, 0 or more
   * @return the cost
   * @throws IllegalArgumentException if negative
   */
  public static Cost of(long cost) {
    if (cost < 0) {
      throw new IllegalArgumentException("cost must be 0 or more, but was " + cost);
    }
    return cost == 1 ? ONE : new Cost(cost, null, false);
  }

  /**
   * A cost read from an argument, which must hold a whole number.
   *
   * @param path dotted argument path, e.g. {@code args.amount}
   * @return the cost
   */
  public static Cost fromArgument(String path) {
    return new Cost(0, ArgumentPath.parse(Objects.requireNonNull(path, "path")), false);
  }

  /**
   * A cost read from an argument; fractions are rounded up ({@code 2.1} costs 3).
   *
   * @param path dotted argument path
   * @return the cost
   */
  public static Cost fromArgumentRoundingUp(String path) {
    return new Cost(0, ArgumentPath.parse(Objects.requireNonNull(path, "path")), true);
  }

  /** @return whether the cost comes from an argument */
  public boolean isArgumentDerived() {
    return path != null;
  }

  /**
   * Resolves the cost of a call.
   *
   * @param call the call
   * @return the cost, 0 or more
   * @throws InvalidCostException when an argument-derived cost is not a usable number
   */
  public long resolve(CallContext call) {
    if (path == null) {
      return constant;
    }
    Object v = path.read(call.arguments());
    if (v == ArgumentPath.MISSING || v == null) {
      throw new InvalidCostException("cost argument " + path + " is missing");
    }
    if (!(v instanceof Number n)) {
      throw new InvalidCostException("cost argument " + path + " must be a number, but was " + describe(v));
    }
    BigDecimal d = Condition.decimal(n);
    if (d == null) {
      throw new InvalidCostException("cost argument " + path + " must be a finite number, but was " + n);
    }
    if (d.signum() < 0) {
      throw new InvalidCostException("cost argument " + path + " must not be negative, but was " + n);
    }
    // compare before rescaling: setScale on 1e1000000000 or 1e-1000000000 would compute a
    // number with a billion digits (minutes of CPU per call, from one JSON argument)
    if (d.compareTo(LONG_MAX) > 0) {
      throw new InvalidCostException("cost argument " + path + " is too large: " + n);
    }
    boolean fraction = d.signum() != 0 && d.stripTrailingZeros().scale() > 0;
    if (fraction && !roundUp) {
      throw new InvalidCostException("cost argument " + path + " must be a whole number, but was " + n);
    }
    if (d.compareTo(BigDecimal.ONE) < 0) {
      return fraction ? 1 : 0; // 0 < d < 1 rounds up to 1, whatever its scale
    }
    // 1 <= d <= Long.MAX_VALUE: its scale is at most its precision, which the caller already paid for
    return d.setScale(0, RoundingMode.CEILING).longValueExact();
  }

  private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

  /** The value as the agent sent it: text quoted and cut, anything else by its JSON kind. */
  private static String describe(Object v) {
    if (v instanceof String str) {
      String s = '"' + str + '"';
      return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
    if (v instanceof Collection<?>) {
      return "a list";
    }
    if (v instanceof Map<?, ?>) {
      return "an object";
    }
    return v instanceof Boolean ? "a boolean (" + v + ")" : "a value of an unexpected kind";
  }

  @Override
  public String toString() {
    return path == null ? Long.toString(constant) : "from " + path + (roundUp ? " (rounded up)" : "");
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Cost c && c.constant == constant && c.roundUp == roundUp
        && Objects.equals(String.valueOf(c.path), String.valueOf(path));
  }

  @Override
  public int hashCode() {
    return Objects.hash(constant, String.valueOf(path), roundUp);
  }

  /** A call's argument-derived cost is not a usable number. */
  public static final class InvalidCostException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** @param message what was wrong */
    public InvalidCostException(String message) {
      super(message, null);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this; // bad input, not a bug: no stack trace needed
    }
  }
}
