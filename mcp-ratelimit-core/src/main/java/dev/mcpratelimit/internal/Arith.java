package dev.mcpratelimit.internal;

/** Saturating arithmetic: time and cost sums clamp at the long range instead of wrapping. */
final class Arith {
  private Arith() {}

  /** @return {@code a + b}, clamped to the long range */
  public static long satAdd(long a, long b) {
    long r = a + b;
    // overflow iff both operands have the sign opposite to the result's
    if (((a ^ r) & (b ^ r)) < 0) {
      return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    return r;
  }

  /** @return {@code a - b}, clamped to the long range */
  public static long satSub(long a, long b) {
    long r = a - b;
    if (((a ^ b) & (a ^ r)) < 0) {
      return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    return r;
  }

  /** @return {@code a * b} for non-negative operands, clamped at {@code Long.MAX_VALUE} */
  public static long satMul(long a, long b) {
    long hi = Math.multiplyHigh(a, b);
    long lo = a * b;
    if (hi != 0 || lo < 0) {
      return Long.MAX_VALUE;
    }
    return lo;
  }

  /**
   * Compares {@code a*b} with {@code c*d} exactly (128-bit), all operands non-negative.
   *
   * @return negative, zero or positive
   */
  public static int compareProducts(long a, long b, long c, long d) {
    long h1 = Math.multiplyHigh(a, b);
    long h2 = Math.multiplyHigh(c, d);
    if (h1 != h2) {
      return Long.compare(h1, h2);
    }
    return Long.compareUnsigned(a * b, c * d);
  }

  /** Earliest time a limit state works with; earlier readings are treated as this. */
  public static final long MIN_TIME = -(1L << 62);

  /** Latest time a limit state works with (year 2116); later readings are treated as this. */
  public static final long MAX_TIME = 1L << 62;

  /**
   * Clamps a clock reading to [{@link #MIN_TIME}, {@link #MAX_TIME}], so that a time plus any span
   * a spec allows (at most 2^61 ns) never overflows.
   */
  public static long clampTime(long now) {
    return Math.max(MIN_TIME, Math.min(MAX_TIME, now));
  }

  /** Throws when a cost is negative. */
  public static void checkCost(long cost) {
    if (cost < 0) {
      throw new IllegalArgumentException("cost must be 0 (peek) or positive, but was " + cost);
    }
  }
}
