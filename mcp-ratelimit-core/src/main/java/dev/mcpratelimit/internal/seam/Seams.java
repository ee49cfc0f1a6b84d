package dev.mcpratelimit.internal.seam;

import dev.mcpratelimit.RateLimiter;
import java.util.Objects;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Settings of {@link RateLimiter.Builder} that are test seams, kept off the public builder. The
 * builder registers its setter here when its class is initialized, which happens before any
 * builder exists to pass in.
 */
public final class Seams {
  private static volatile @Nullable BiConsumer<RateLimiter.Builder, Sleeper> sleeperSetter;

  private Seams() {}

  /**
   * Sets how a limiter's blocking waits wait (default {@link Sleeper#SYSTEM}).
   *
   * @param builder the builder
   * @param sleeper the sleeper, e.g. one that advances a fake clock
   * @return the builder
   */
  public static RateLimiter.Builder sleeper(RateLimiter.Builder builder, Sleeper sleeper) {
    BiConsumer<RateLimiter.Builder, Sleeper> s = Objects.requireNonNull(sleeperSetter, "sleeperSetter");
    s.accept(Objects.requireNonNull(builder, "builder"), Objects.requireNonNull(sleeper, "sleeper"));
    return builder;
  }

  /**
   * For {@link RateLimiter.Builder} alone: registers its sleeper setter.
   *
   * @param setter sets a builder's sleeper
   */
  public static void registerSleeperSetter(BiConsumer<RateLimiter.Builder, Sleeper> setter) {
    sleeperSetter = Objects.requireNonNull(setter, "setter");
  }
}
