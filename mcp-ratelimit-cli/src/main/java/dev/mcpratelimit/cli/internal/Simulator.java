package dev.mcpratelimit.cli.internal;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitListener;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.internal.seam.AsyncEngine;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.policy.PolicyCli;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.trace.TraceEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Replays a trace through the real engine ({@link RateLimiter} with the in-memory store) on a
 * {@link VirtualClock}, as fast as the machine goes. Each event is decided at its recorded time as
 * the asynchronous adapter does: one non-blocking {@link AsyncEngine#reserve} step; a booked delay
 * counts as a wait; a waitable denial is retried at its retry-after (in virtual time, interleaved
 * with later arrivals) until granted or its rules' max wait is spent. A grant is committed at once,
 * or after the event's {@code durationMs} when the trace carries it (so concurrency permits are held
 * as long as the live call ran).
 */
public final class Simulator {
  private Simulator() {}

  private record Pending(long at, long seq, int kind, TraceEvent event, CallContext call, long startedAt,
      Decision.@org.jspecify.annotations.Nullable Granted grant) {}

  private static final int SETTLE = 0;
  private static final int DECIDE = 1;

  /**
   * @param policyName shown in reports
   * @param policy the policy
   * @param trace the events (sorted by time here, stably)
   * @return the figures
   */
  public static Simulation run(String policyName, RateLimitPolicy policy, List<TraceEvent> trace) {
    List<TraceEvent> events = new ArrayList<>(trace);
    events.sort(Comparator.comparingLong(TraceEvent::epochNanos));
    long start = events.isEmpty() ? 0 : events.get(0).epochNanos();
    long end = events.isEmpty() ? 0 : events.get(events.size() - 1).epochNanos();
    Simulation sim = new Simulation(policyName, start, end);
    for (Rule r : policy.rules()) {
      sim.rules.put(r.name(), new Simulation.RuleStats(r.name(), r.limit(), PolicyCli.describeLimit(r)));
    }
    VirtualClock clock = new VirtualClock(start);
    ObservingStore store = new ObservingStore(LimiterStore.inMemory(LimiterStore.DEFAULT_MAXIMUM_KEYS, clock));
    long[] shadow = new long[1];
    RateLimiter limiter = RateLimiter.builder(policy).clock(clock).store(store).listener(new RateLimitListener() {
      @Override
      public void onShadowDenied(CallContext call, Decision.Denied wouldBe) {
        Simulation.RuleStats s = sim.rules.get(wouldBe.rule());
        if (s != null) {
          s.shadowDenied++;
        }
        shadow[0]++;
      }
    }).build();
    String[] currentIdentity = {""};
    store.observe((rule, spec, cost, probe, batchGranted) -> {
      Simulation.RuleStats s = sim.rules.get(rule);
      if (s == null || (!batchGranted && probe.granted())) {
        return; // a granted entry of a denied batch kept nothing
      }
      long usage = Math.max(0, spec.limit() - probe.remaining());
      long now = clock.nanos();
      int b = sim.bucket(now);
      s.series[b] = Math.max(s.series[b], usage);
      if (usage > s.peakUsage || s.peakIdentity.isEmpty()) {
        s.peakUsage = usage;
        s.peakAt = now;
        s.peakIdentity = currentIdentity[0];
      }
    });

    PriorityQueue<Pending> queue = new PriorityQueue<>(Comparator.comparingLong(Pending::at)
        .thenComparingInt(Pending::kind).thenComparingLong(Pending::seq));
    long seq = 0;
    int next = 0;
    while (next < events.size() || !queue.isEmpty()) {
      Pending p;
      if (next < events.size() && (queue.isEmpty() || before(events.get(next).epochNanos(), queue.peek()))) {
        TraceEvent e = events.get(next++);
        p = new Pending(e.epochNanos(), seq++, DECIDE, e, e.toCall(), AsyncEngine.FIRST_ATTEMPT, null);
      } else {
        p = queue.poll();
      }
      clock.set(Math.max(clock.nanos(), p.at()));
      if (p.kind() == SETTLE) {
        p.grant().commit();
        continue;
      }
      currentIdentity[0] = p.event().identityLabel();
      if (p.startedAt() == AsyncEngine.FIRST_ATTEMPT) {
        for (Rule r : policy.rulesFor(p.call().method(), p.call().target())) {
          sim.rules.get(r.name()).calls++;
        }
      }
      long startedAt = p.startedAt() == AsyncEngine.FIRST_ATTEMPT ? clock.nanos() : p.startedAt();
      Decision d = AsyncEngine.of(limiter).reserve(p.call(), startedAt);
      if (d instanceof Decision.Denied denied && denied.waitable()) {
        queue.add(new Pending(clock.nanos() + Math.max(1, denied.retryAfterNanos()), seq++, DECIDE, p.event(), p.call(),
            startedAt, null));
        continue;
      }
      long waited = clock.nanos() - startedAt;
      if (d instanceof Decision.Granted g) {
        waited += g.delayNanos();
        long duration = p.event().durationNanos();
        if (duration > 0) {
          queue.add(new Pending(clock.nanos() + g.delayNanos() + duration, seq++, SETTLE, p.event(), p.call(), startedAt, g));
        } else {
          g.commit();
        }
      }
      record(sim, p.event(), d, waited, clock.nanos());
    }
    sim.shadowTotal = shadow[0];
    return sim;
  }

  private static boolean before(long arrival, Pending queued) {
    // a settlement at the same instant frees its permits first; a retry at the same instant goes after
    return arrival < queued.at() || (arrival == queued.at() && queued.kind() != SETTLE);
  }

  private static void record(Simulation sim, TraceEvent e, Decision d, long waited, long now) {
    sim.calls++;
    long[] id = sim.identities.computeIfAbsent(e.identityLabel(), k -> new long[2]);
    Decision.Denied denial = null;
    if (d instanceof Decision.Granted) {
      sim.granted++;
      id[0]++;
      if (waited > 0) {
        sim.waited++;
      }
    } else {
      Decision.Denied dn = (Decision.Denied) d;
      denial = dn;
      sim.denied++;
      id[1]++;
      Simulation.RuleStats s = sim.rules.computeIfAbsent(dn.rule(),
          k -> new Simulation.RuleStats(k, (LimitSpec) null, "(" + dn.reason().name().toLowerCase(java.util.Locale.ROOT) + ")"));
      s.denied++;
      s.deniedSeries[sim.bucket(now)]++;
      sim.retryAfters.add(denial.retryAfterNanos());
    }
    Simulation.Outcome o = new Simulation.Outcome(e, d.isGranted(), waited, denial, now);
    if (denial != null && sim.firstDenial == null) {
      sim.firstDenial = o;
    }
    if (e.decision() != null) {
      sim.liveKnown++;
      if (e.decision().equals(d.isGranted() ? "granted" : "denied")) {
        sim.liveAgree++;
      }
    }
    sim.outcomes.add(o);
  }
}
