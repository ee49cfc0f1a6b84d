package dev.mcpratelimit.internal;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.spi.LimitState;
import dev.mcpratelimit.spi.Probe;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * Token bucket as GCRA: the whole state is the theoretical arrival time (TAT) of the next token,
 * one {@code long}. The bucket is full when {@code tat <= now}; a cost {@code c} conforms when
 * {@code max(tat, now) + c*T - C*T <= now} (T = nanos per token, C = capacity).
 */
final class GcraBucket implements LimitState {
  private static final VarHandle TAT;

  static {
    try {
      TAT = MethodHandles.lookup().findVarHandle(GcraBucket.class, "tat", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Derived parameters, shared by every key's bucket of one spec. */
  public static final class Params {
    final LimitSpec.TokenBucket spec;
    final long capacity;
    final long interval; // T, nanos per token
    final long burst; // C * T <= 2^61, validated by the spec

    private Params(LimitSpec.TokenBucket spec) {
      this.spec = spec;
      this.capacity = spec.capacity();
      this.interval = spec.nanosPerToken();
      this.burst = capacity * interval;
    }

    /** @return the parameters of {@code spec} */
    public static Params of(LimitSpec.TokenBucket spec) {
      return new Params(spec);
    }
  }

  /** The longest a booking may wait ({@code Rule.Builder.maxWait}'s upper bound, 1 hour). */
  static final long MAX_BOOKING_NANOS = 3_600_000_000_000L;

  private final Params p;
  @SuppressWarnings("unused") // accessed through TAT
  private volatile long tat = Arith.MIN_TIME;

  /** @param p the spec's parameters */
  public GcraBucket(Params p) {
    this.p = p;
  }

  @Override
  public LimitSpec spec() {
    return p.spec;
  }

  @Override
  public boolean tryAcquire(long cost, long now, @Nullable Probe probe) {
    return take(cost, now, 0, probe);
  }

  @Override
  public boolean reserve(long cost, long now, long maxWaitNanos, Probe probe) {
    if (maxWaitNanos < 0) {
      throw new IllegalArgumentException("maxWaitNanos must not be negative, but was " + maxWaitNanos);
    }
    return take(cost, now, maxWaitNanos, probe);
  }

  private boolean take(long cost, long now, long maxWait, @Nullable Probe probe) {
    Arith.checkCost(cost);
    now = Arith.clampTime(now);
    final Params p = this.p;
    if (cost > p.capacity) {
      if (probe != null) {
        long base = Math.max((long) TAT.getVolatile(this), now);
        probe.set(false, remaining(base, now), Probe.NEVER, base, 0);
      }
      return false;
    }
    final long inc = cost * p.interval; // <= burst <= 2^61: no overflow
    final long latest = now + p.burst + MAX_BOOKING_NANOS; // the latest TAT a booking can leave
    for (; ; ) {
      long tat = (long) TAT.getVolatile(this);
      if (tat > latest) {
        // stamped later than any booking can reach: the clock jumped forward and back. Clamp,
        // so the bucket blocks for at most one refill period (plus the longest booking) and the
        // retry hint computed from it holds
        TAT.compareAndSet(this, tat, latest);
        continue;
      }
      long base = Math.max(tat, now);
      long newTat = base + inc; // both bounded: |base| <= 2^62, inc <= 2^61
      long allowAt = newTat - p.burst; // earliest time at which this cost conforms
      long wait = allowAt - now;
      if (wait <= maxWait) {
        if (cost == 0) {
          if (probe != null) {
            probe.set(true, remaining(base, now), 0, base, 0);
          }
          return true;
        }
        if (TAT.compareAndSet(this, tat, newTat)) {
          if (probe != null) {
            probe.set(true, remaining(newTat, now), 0, newTat, Math.max(0, wait));
          }
          return true;
        }
        continue; // lost a race: re-read and decide again
      }
      if (probe != null) {
        probe.set(false, remaining(base, now), wait, base, 0);
      }
      return false;
    }
  }

  /** Whole tokens available at {@code now} when the TAT is {@code base}. */
  private long remaining(long base, long now) {
    long room = now + p.burst - base; // bounded: no overflow
    return room <= 0 ? 0 : room / p.interval;
  }

  @Override
  public void refund(long cost, long acquiredAt, long now) {
    Arith.checkCost(cost);
    if (cost == 0) {
      return;
    }
    long taken = Math.min(cost, p.capacity) * p.interval; // <= burst: no overflow
    // Only the part of the grant not yet refilled can be given back. Its tokens come back no
    // earlier than acquiredAt + taken (later when the bucket was in debt), so at least
    // taken - elapsed of them are still out: give back that much (all of it when nothing else
    // happened and the bucket was full before the grant), never more, or a late refund would
    // let later callers exceed the burst.
    long elapsed = Math.max(0, Arith.satSub(now, acquiredAt));
    if (elapsed >= taken) {
      return;
    }
    long dec = taken - elapsed;
    now = Arith.clampTime(now);
    for (; ; ) {
      long tat = (long) TAT.getVolatile(this);
      if (tat <= now) {
        return; // already full: nothing to give back
      }
      long newTat = Math.max(tat - dec, now);
      if (TAT.compareAndSet(this, tat, newTat)) {
        return;
      }
    }
  }

  @Override
  public long idleAt(long now) {
    return (long) TAT.getVolatile(this);
  }

  @Override
  public String toString() {
    return "GcraBucket{" + p.spec + ", tat=" + tat + '}';
  }
}
