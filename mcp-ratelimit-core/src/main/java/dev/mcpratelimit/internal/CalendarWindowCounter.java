package dev.mcpratelimit.internal;

import dev.mcpratelimit.Clock;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.spi.LimitState;
import dev.mcpratelimit.spi.Probe;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.zone.ZoneRules;
import org.jspecify.annotations.Nullable;

/**
 * The counter of a calendar window. The state is one {@code long}: a 24-bit window tag (the
 * window's start in minutes since the epoch, modulo 2^24, compared with wrap-around) above a
 * 40-bit count. A tag older than the current window means a new window (count 0); a tag newer
 * than the current window means the clock went backwards: one window ahead, the count keeps
 * counting in that window; further ahead (the clock jumped forward and back), the state is clamped
 * into the current window with its count, so it blocks for at most the rest of this window and the
 * retry hint is the time that window ends.
 */
public final class CalendarWindowCounter implements LimitState {
  private static final VarHandle STATE;
  private static final int COUNT_BITS = 40;
  private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;
  private static final long TAG_MASK = (1L << 24) - 1;
  private static final long NANOS_PER_MINUTE = 60_000_000_000L;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(CalendarWindowCounter.class, "state", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** One calendar window: [start, end) in epoch nanoseconds, and its tag. */
  public static final class Window {
    final long start;
    final long end;
    final long tag;

    Window(long start, long end) {
      this.start = start;
      this.end = end;
      this.tag = Math.floorDiv(start, NANOS_PER_MINUTE) & TAG_MASK;
    }

    /** @return the window start, epoch nanoseconds */
    public long start() {
      return start;
    }

    /** @return the window end (exclusive), epoch nanoseconds */
    public long end() {
      return end;
    }
  }

  /**
   * Derived parameters of a spec, shared by every key: the limit and the window containing the
   * latest time asked about, cached so that only a boundary crossing computes (and allocates) a
   * window.
   */
  public static final class Params {
    final LimitSpec.CalendarWindow spec;
    final long limit;
    final long unitNanos;
    final @Nullable ZoneRules rules; // null when the zone has a fixed offset
    final long fixedOffsetNanos;
    private volatile @Nullable Window cached;

    private Params(LimitSpec.CalendarWindow spec) {
      this.spec = spec;
      this.limit = spec.limit();
      this.unitNanos = spec.unit().nominalLength().toNanos();
      ZoneRules r = spec.zone().getRules();
      if (r.isFixedOffset()) {
        this.rules = null;
        this.fixedOffsetNanos = r.getOffset(Instant.EPOCH).getTotalSeconds() * 1_000_000_000L;
      } else {
        this.rules = r;
        this.fixedOffsetNanos = 0;
      }
    }

    /** @return the parameters of {@code spec} */
    public static Params of(LimitSpec.CalendarWindow spec) {
      return new Params(spec);
    }

    /** @return the calendar window containing {@code now} */
    public Window windowAt(long now) {
      Window w = cached;
      if (w != null && w.start <= now && now < w.end) {
        return w;
      }
      w = compute(now);
      cached = w;
      return w;
    }

    /** @return the window after {@code w} (not cached: only a clock that went back asks) */
    Window after(Window w) {
      return compute(w.end);
    }

    private Window compute(long now) {
      if (rules == null) {
        long start = Math.floorDiv(now + fixedOffsetNanos, unitNanos) * unitNanos - fixedOffsetNanos;
        return new Window(start, start + unitNanos);
      }
      ZonedDateTime local = Clock.toInstant(now).atZone(spec.zone());
      ZonedDateTime start = local.truncatedTo(spec.unit().chronoUnit());
      ZonedDateTime end = start.plus(1, spec.unit().chronoUnit());
      if (spec.unit() == dev.mcpratelimit.WindowUnit.DAY) {
        // next local midnight, whatever the day's length
        end = start.toLocalDate().plusDays(1).atStartOfDay(spec.zone());
      }
      return new Window(epochNanos(start.toInstant()), epochNanos(end.toInstant()));
    }

    private static long epochNanos(Instant i) {
      return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }
  }

  private final Params p;
  @SuppressWarnings("unused") // accessed through STATE
  private volatile long state;

  /** @param p the spec's parameters */
  public CalendarWindowCounter(Params p) {
    this.p = p;
  }

  @Override
  public LimitSpec spec() {
    return p.spec;
  }

  private static long tag(long s) {
    return s >>> COUNT_BITS;
  }

  private static long count(long s) {
    return s & COUNT_MASK;
  }

  /** Signed distance from tag a to tag b on the 24-bit circle. */
  private static long tagDistance(long a, long b) {
    return ((b - a) << 40) >> 40;
  }

  @Override
  public boolean tryAcquire(long cost, long now, @Nullable Probe probe) {
    Arith.checkCost(cost);
    now = Arith.clampTime(now);
    final Window w = p.windowAt(now);
    final long limit = p.limit;
    for (; ; ) {
      long s = (long) STATE.getVolatile(this);
      long tag;
      long count;
      Window counting = w; // the window the count belongs to
      if (s == 0 || tagDistance(tag(s), w.tag) > 0) {
        tag = w.tag; // a new window
        count = 0;
      } else if (tag(s) == w.tag) {
        tag = w.tag;
        count = count(s);
      } else {
        // stamped in a later window: the clock went backwards. One window ahead (a small step
        // back over a boundary) keeps counting there; further ahead (a jump forward and back) is
        // clamped into the current window, count kept, so it never blocks past this window's end
        Window next = p.after(w);
        if (tag(s) != next.tag) {
          STATE.compareAndSet(this, s, (w.tag << COUNT_BITS) | count(s));
          continue;
        }
        tag = next.tag;
        count = count(s);
        counting = next;
      }
      long room = limit - count;
      if (cost <= room) {
        if (cost == 0 || STATE.compareAndSet(this, s, (tag << COUNT_BITS) | (count + cost))) {
          if (probe != null) {
            probe.set(true, room - cost, 0, counting.end, 0);
          }
          return true;
        }
        continue;
      }
      if (probe != null) {
        probe.set(false, room, cost > limit ? Probe.NEVER : counting.end - now, counting.end, 0);
      }
      return false;
    }
  }

  @Override
  public void refund(long cost, long acquiredAt, long now) {
    Arith.checkCost(cost);
    long takenTag = p.windowAt(Arith.clampTime(acquiredAt)).tag;
    for (; ; ) {
      long s = (long) STATE.getVolatile(this);
      if (s == 0 || tag(s) != takenTag) {
        return; // that window is over: its count no longer matters
      }
      long next = (takenTag << COUNT_BITS) | Math.max(0, count(s) - cost);
      if (next == s || STATE.compareAndSet(this, s, next)) {
        return;
      }
    }
  }

  @Override
  public long idleAt(long now) {
    long s = (long) STATE.getVolatile(this);
    Window w = p.windowAt(Arith.clampTime(now));
    if (s == 0 || count(s) == 0 || tagDistance(tag(s), w.tag) > 0) {
      return Long.MIN_VALUE;
    }
    return tag(s) == w.tag ? w.end : p.after(w).end; // a later window: at most the next one, once clamped
  }
}
