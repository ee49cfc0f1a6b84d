package dev.mcpratelimit.internal;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.spi.LimitState;
import dev.mcpratelimit.spi.Probe;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/** A concurrency limit: a count of cost in flight, taken by CAS and given back on refund. */
final class ConcurrencyPermits implements LimitState {
  private static final VarHandle IN_FLIGHT;

  static {
    try {
      IN_FLIGHT =
          MethodHandles.lookup().findVarHandle(ConcurrencyPermits.class, "inFlight", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final LimitSpec.Concurrency spec;
  private final long max;
  @SuppressWarnings("unused") // accessed through IN_FLIGHT
  private volatile long inFlight;

  ConcurrencyPermits(LimitSpec.Concurrency spec) {
    this.spec = spec;
    this.max = spec.maxInFlight();
  }

  @Override
  public LimitSpec spec() {
    return spec;
  }

  @Override
  public boolean tryAcquire(long cost, long now, @Nullable Probe probe) {
    Arith.checkCost(cost);
    for (; ; ) {
      long held = (long) IN_FLIGHT.getVolatile(this);
      if (cost <= max - held) {
        if (cost == 0 || IN_FLIGHT.compareAndSet(this, held, held + cost)) {
          if (probe != null) {
            probe.set(true, max - held - cost, 0, Probe.NEVER, 0);
          }
          return true;
        }
        continue;
      }
      if (probe != null) {
        probe.set(false, max - held, Probe.NEVER, Probe.NEVER, 0);
      }
      return false;
    }
  }

  @Override
  public void refund(long cost, long acquiredAt, long now) {
    Arith.checkCost(cost);
    for (; ; ) {
      long held = (long) IN_FLIGHT.getVolatile(this);
      long next = Math.max(0, held - cost);
      if (next == held || IN_FLIGHT.compareAndSet(this, held, next)) {
        return;
      }
    }
  }

  @Override
  public long idleAt(long now) {
    return (long) IN_FLIGHT.getVolatile(this) == 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
  }

  /** @return the cost currently held */
  public long inFlight() {
    return (long) IN_FLIGHT.getVolatile(this);
  }
}
