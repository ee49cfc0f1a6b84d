package dev.mcpratelimit.internal;

import dev.mcpratelimit.Decision;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * Settles a grant exactly once: the one settle-once mechanism of mcp-ratelimit. Whichever of
 * {@link #commit()} and {@link #release()} wins one compare-and-set runs its action, once; every
 * later call of either, from any thread, does nothing. Subclasses say what settling does:
 * {@link #keep()} and {@link #giveBack()}.
 *
 * <p>Two kinds of grant extend it: the engine's {@link Grant} (a grant that needs saying more than
 * "granted": a delay, shadow rules, or no ticket), and the in-memory store's tickets, which are
 * the whole grant of a call when nothing else needs saying, so a typical in-memory grant allocates
 * one object (see {@link Grant#of}).
 */
abstract class Settlement implements Decision.Granted {
  private static final VarHandle SETTLED;

  static {
    try {
      SETTLED = MethodHandles.lookup().findVarHandle(Settlement.class, "settled", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @SuppressWarnings("unused") // accessed through SETTLED: 0 until settled, then 1
  private volatile int settled;

  /** The call happened: keep the costs, free the concurrency permits. Runs at most once. */
  abstract void keep();

  /** The call did not happen: give every cost back, permits included. Runs at most once. */
  abstract void giveBack();

  @Override
  public final void commit() {
    if (SETTLED.compareAndSet(this, 0, 1)) {
      keep();
    }
  }

  @Override
  public final void release() {
    if (SETTLED.compareAndSet(this, 0, 1)) {
      giveBack();
    }
  }

  @Override
  public final boolean isSettled() {
    return settled != 0;
  }

  /** @return 0: only an engine {@link Grant} asks the caller to wait */
  @Override
  public long delayNanos() {
    return 0;
  }

  /** @return none: only an engine {@link Grant} carries shadow rules' denials */
  @Override
  public List<Decision.Denied> shadowDenials() {
    return List.of();
  }

  @Override
  public String toString() {
    return "Granted{settled=" + isSettled() + '}';
  }
}
