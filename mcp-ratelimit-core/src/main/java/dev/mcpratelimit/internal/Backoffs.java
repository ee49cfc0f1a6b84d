package dev.mcpratelimit.internal;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Clock;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolver;
import dev.mcpratelimit.Rule;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * The registry of upstream backoffs: which scopes (a caller's user, tenant, ...) are backed off
 * until when, and the denial of a call that falls in one. Bounded to {@value #MAX_SCOPES} scopes;
 * an expired backoff is dropped when a call finds it, or when the bound is reached.
 */
final class Backoffs {
  /** Most scopes that may be backed off at once (bounds memory if a handler misbehaves). */
  static final int MAX_SCOPES = 10_000;

  /** A backed-off scope; a {@code null} value is the scope of callers without that identity. */
  private record Key(String dimensions, @Nullable String value) {}

  private final Clock clock;
  private final Map<Key, Long> until = new ConcurrentHashMap<>();
  private final List<KeyResolver> scopes = new CopyOnWriteArrayList<>();

  Backoffs(Clock clock) {
    this.clock = clock;
  }

  /** @return whether no scope is backed off (the hot path's one check) */
  boolean isEmpty() {
    return until.isEmpty();
  }

  /**
   * The denial of a call in a backed-off scope, or {@code null}. Waitable only when
   * {@code waiting} and the backoff ends within the longest max wait of the call's rules, counted
   * from {@code startedAt}.
   */
  Decision.@Nullable Denied check(CallContext call, Rule[] rules, long now, long startedAt, boolean waiting) {
    for (KeyResolver scope : scopes) {
      String value = scope.resolve(call); // null: the anonymous scope, distinct from any value
      Key k = new Key(String.join("+", scope.dimensions()), value);
      Long end = until.get(k);
      if (end == null) {
        continue;
      }
      if (end <= now) {
        until.remove(k, end);
        continue;
      }
      long maxWait = 0;
      for (Rule r : rules) {
        maxWait = Math.max(maxWait, r.maxWait().toNanos());
      }
      boolean waitable = waiting && end - startedAt <= maxWait; // a plain acquire never waits
      return denial(scope, end, now, waitable);
    }
    return null;
  }

  /** Backs off the scope of {@code call} for {@code duration}. @return the denial a call there gets now */
  Decision.Denied backoff(CallContext call, KeyResolver scope, Duration duration) {
    Objects.requireNonNull(duration, "duration");
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("backoff duration must be positive, but was " + duration);
    }
    // a call without a value for the scope backs off every caller without one (as they share a
    // bucket), and no caller whose value merely looks empty
    long now = clock.nanos();
    long end = Arith.satAdd(now, duration.getSeconds() >= Long.MAX_VALUE / 1_000_000_000L ? Long.MAX_VALUE
        : duration.toNanos());
    backoff(scope, scope.resolve(call), Clock.toInstant(end));
    return denial(scope, end, now, false);
  }

  /**
   * Backs off one value of a scope until {@code end} (a later end of the same scope wins).
   *
   * @throws IllegalStateException when {@value #MAX_SCOPES} unexpired scopes are backed off already
   */
  void backoff(KeyResolver scope, @Nullable String value, Instant end) {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(end, "until");
    long endNanos = Arith.satAdd(Arith.satMul(Math.max(0, end.getEpochSecond()), 1_000_000_000L), end.getNano());
    Key k = new Key(String.join("+", scope.dimensions()), value);
    if (until.size() >= MAX_SCOPES && !until.containsKey(k)) {
      long now = clock.nanos();
      until.values().removeIf(u -> u <= now);
      if (until.size() >= MAX_SCOPES) {
        throw new IllegalStateException("too many scopes backed off at once (" + MAX_SCOPES + ")");
      }
    }
    until.merge(k, endNanos, Math::max);
    synchronized (scopes) {
      boolean known = false;
      for (KeyResolver r : scopes) {
        known |= r.dimensions().equals(scope.dimensions());
      }
      if (!known) {
        scopes.add(scope);
      }
    }
  }

  private static Decision.Denied denial(KeyResolver scope, long end, long now, boolean waitable) {
    long retry = end - now;
    return Decision.Denied.backoff(scope.dimensions(), retry, Clock.toInstant(end),
        DenialMessages.backoff(scope.dimensions(), retry), waitable);
  }
}
