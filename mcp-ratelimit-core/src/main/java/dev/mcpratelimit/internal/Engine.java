package dev.mcpratelimit.internal;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Clock;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolver;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitListener;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.internal.seam.AsyncEngine;
import dev.mcpratelimit.internal.seam.Sleeper;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The {@link RateLimiter} implementation: decides each call as a short sequence of steps, each
 * the job of its own class: admission by the policy (hidden, unlisted), the backoff registry
 * ({@link Backoffs}), rule evaluation and key and cost resolution ({@link Evaluation},
 * {@link EntryResolver}), the store, a store failure ({@link StoreFailures}), a refusal's denial
 * ({@link LimitDenials}, worded by {@link DenialMessages}) and the grant ({@link Grant}). Reads the
 * clock once per decision and allocates, on a typical in-memory grant, only the store's ticket.
 */
public final class Engine implements AsyncEngine {
  private static final ThreadLocal<Evaluation> EVALUATION = ThreadLocal.withInitial(Evaluation::new);

  private volatile RateLimitPolicy policy;
  private final Clock clock;
  private final LimiterStore store;
  private final RateLimitListener listener;
  private final boolean hasListener;
  private final Sleeper sleeper;
  private final Backoffs backoffs;
  private final EntryResolver entries;

  public Engine(RateLimitPolicy policy, Clock clock, LimiterStore store, RateLimitListener listener, Sleeper sleeper,
      int maxKeyPartLength) {
    this.entries = new EntryResolver(maxKeyPartLength);
    this.policy = Objects.requireNonNull(policy, "policy");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.store = Objects.requireNonNull(store, "store");
    this.listener = listener;
    this.hasListener = !(listener instanceof SafeListener s) || !s.isEmpty();
    this.sleeper = sleeper;
    this.backoffs = new Backoffs(this.clock);
    checkRepresentable(policy, store);
    store.onEviction(listener::onEvicted);
  }

  @Override
  public Decision acquire(CallContext call) {
    return decide(call, clock.nanos(), 0, false);
  }

  @Override
  public Decision reserve(CallContext call, long startedAt) {
    long now = clock.nanos();
    return decide(call, now, startedAt == FIRST_ATTEMPT ? now : startedAt, true);
  }

  @Override
  public Decision acquireBlocking(CallContext call) throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
    long startedAt = FIRST_ATTEMPT;
    long waited = 0;
    for (; ; ) {
      long now = clock.nanos();
      if (startedAt == FIRST_ATTEMPT) {
        startedAt = now;
      }
      Decision d = decide(call, now, startedAt, true);
      if (d instanceof Decision.Granted g) {
        long delay = g.delayNanos();
        if (delay > 0) {
          try {
            sleeper.sleep(delay);
          } catch (InterruptedException e) {
            g.release();
            throw e;
          }
          waited += delay;
        }
        if (waited > 0 && hasListener) {
          listener.onWaited(call, waited);
        }
        return d;
      }
      Decision.Denied denied = (Decision.Denied) d;
      if (!denied.waitable()) {
        return d;
      }
      long pause = Math.max(1, denied.retryAfterNanos());
      sleeper.sleep(pause);
      waited += pause;
    }
  }

  /**
   * Decides one call at {@code now}. When {@code waiting}, each rule may wait up to its max wait
   * counted from {@code startedAt}; otherwise no rule waits.
   */
  private Decision decide(CallContext call, long now, long startedAt, boolean waiting) {
    final RateLimitPolicy pol = this.policy;
    Decision.Denied refused = admission(pol, call);
    if (refused != null) {
      return denied(call, refused);
    }
    final Rule[] rules = ((RuleList) pol.rulesFor(call.method(), call.target())).array();
    if (!backoffs.isEmpty()) {
      Decision.Denied b = backoffs.check(call, rules, now, startedAt, waiting);
      if (b != null) {
        return denied(call, b);
      }
    }
    if (rules.length == 0) {
      return granted(call, Grant.empty()); // own instance: isSettled() must hold per call
    }
    final Evaluation ev = EVALUATION.get().begin(now);
    Decision.Denied problem = ev.evaluate(call, rules, now, startedAt, waiting, entries);
    if (problem != null) {
      return denied(call, problem);
    }
    LimiterStore.Ticket ticket = null;
    long delay = 0;
    if (ev.batch.size() > 0) {
      try {
        ticket = store.acquire(ev.batch);
      } catch (RuntimeException e) {
        storeError(e);
        Decision d = StoreFailures.decide(e, ev.rule(0), pol.failureMode());
        ev.forgetRules();
        return d instanceof Decision.Granted g ? granted(call, g) : denied(call, (Decision.Denied) d);
      }
      if (ticket == null) {
        Decision.Denied d = LimitDenials.ofBatch(ev.batch, ev);
        ev.forgetRules();
        return denied(call, d);
      }
      delay = ev.delay();
      ev.forgetRules();
    }
    LimiterStore.Ticket shadowTicket = ev.shadow() == null ? null : acquireShadow(ev);
    List<Decision.Denied> shadowDenials = ev.shadowDenials();
    if (shadowDenials != null) {
      shadowDenied(call, shadowDenials);
    }
    return granted(call, Grant.of(ticket, shadowTicket, delay, shadowDenials, hasListener ? listener : null));
  }

  /** The policy's own refusal of a call (a hidden tool, an unlisted target), or {@code null}. */
  private static Decision.@Nullable Denied admission(RateLimitPolicy pol, CallContext call) {
    CallContext.Method method = call.method();
    if (method == CallContext.Method.TOOLS_CALL && pol.isHiddenFor(call)) {
      return Decision.Denied.hidden(DenialMessages.hidden(call.target()));
    }
    if (pol.defaultAction() == RateLimitPolicy.DefaultAction.DENY && method != CallContext.Method.HTTP_REQUEST
        && !pol.names(method, call.target())) {
      return Decision.Denied.notAllowed(DenialMessages.notAllowed(call.target()));
    }
    return null;
  }

  /**
   * Takes the shadow rules' batch; a refusal becomes would-be denials, a failure is only
   * reported (the probes then say nothing, so no would-be denial is invented).
   *
   * @return the shadow ticket, or {@code null} when refused or failed
   */
  private LimiterStore.@Nullable Ticket acquireShadow(Evaluation ev) {
    Batch shadow = Objects.requireNonNull(ev.shadow());
    LimiterStore.Ticket t;
    try {
      t = store.acquire(shadow);
    } catch (RuntimeException e) {
      storeError(e);
      return null;
    }
    if (t == null) {
      for (int i = 0; i < shadow.size(); i++) {
        if (!shadow.probe(i).granted()) {
          ev.shadowDenied(LimitDenials.ofEntry(ev.shadowRule(i), shadow, i, false));
        }
      }
    }
    return t;
  }

  private void shadowDenied(CallContext call, List<Decision.Denied> wouldBe) {
    if (hasListener) {
      for (Decision.Denied d : wouldBe) {
        listener.onShadowDenied(call, d);
      }
    }
  }

  private void storeError(RuntimeException e) {
    if (hasListener) {
      listener.onStoreError(e);
    }
  }

  private Decision granted(CallContext call, Decision.Granted g) {
    if (hasListener) {
      listener.onGranted(call, g);
    }
    return g;
  }

  private Decision denied(CallContext call, Decision.Denied d) {
    if (hasListener) {
      listener.onDenied(call, d);
    }
    return d;
  }

  /**
   * Rejects a policy with a limit the store cannot represent exactly.
   *
   * @throws IllegalArgumentException naming the rule
   */
  static void checkRepresentable(RateLimitPolicy policy, LimiterStore store) {
    long max = store.maxCost();
    for (Rule r : policy.rules()) {
      LimitSpec spec = r.limit();
      if (spec != null && spec.limit() > max) {
        throw new IllegalArgumentException("rule '" + r.name() + "': limit " + spec.limit()
            + " is larger than the store " + store + " represents exactly (at most " + max + ")");
      }
    }
  }

  // ---------------------------------------------------------------- backoff

  @Override
  public void backoff(KeyResolver scope, String value, Instant until) {
    backoffs.backoff(scope, Objects.requireNonNull(value, "value"), until);
  }

  @Override
  public Decision.Denied backoff(CallContext call, KeyResolver scope, Duration duration) {
    return backoffs.backoff(call, scope, duration);
  }

  // ---------------------------------------------------------------- accessors

  @Override
  public RateLimitPolicy policy() {
    return policy;
  }

  @Override
  public synchronized void updatePolicy(RateLimitPolicy policy) { // rare: a lock keeps updates ordered
    Objects.requireNonNull(policy, "policy");
    checkRepresentable(policy, store);
    RateLimitPolicy old = this.policy;
    this.policy = policy;
    java.util.Set<String> removed = new java.util.HashSet<>();
    for (Rule r : old.rules()) {
      removed.add(r.stateIdentity());
    }
    for (Rule r : policy.rules()) {
      removed.remove(r.stateIdentity());
    }
    if (!removed.isEmpty()) {
      store.discard(removed);
    }
  }

  @Override
  public Clock clock() {
    return clock;
  }

  @Override
  public LimiterStore store() {
    return store;
  }
}
