package dev.mcpratelimit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Cost;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.cli.internal.Simulation;
import dev.mcpratelimit.cli.internal.Simulator;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import dev.mcpratelimit.trace.TraceEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The simulator decides exactly as the live engine: random policies and traces, the engine driven
 * directly (a {@link FakeClock} set to each call's time, grants committed when the call's duration
 * is over) against {@link Simulator}; every call's verdict, denying rule and retry-after agree.
 */
class SimulatorMatchesEngineTest {
  static final long T0 = 1_764_489_600_000_000_000L; // 2025-11-30T08:00:00Z

  record Step(long gapMillis, String tool, int user, int tenant, int n, long durationMillis) {}

  @Provide
  Arbitrary<List<Step>> traces() {
    Arbitrary<Step> step = Combinators.combine(
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(3, Arbitraries.longs().between(0, 400)),
            net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(0, 120_000)),
            net.jqwik.api.Tuple.of(1, Arbitraries.just(0L))),
        Arbitraries.of("a", "b", "c", "d"),
        Arbitraries.integers().between(0, 4),
        Arbitraries.integers().between(0, 1),
        Arbitraries.integers().between(0, 6),
        Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, Arbitraries.just(0L)),
            net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(1, 3000))))
        .as(Step::new);
    return step.list().ofMinSize(1).ofMaxSize(150);
  }

  @Provide
  Arbitrary<RateLimitPolicy> policies() {
    Arbitrary<LimitSpec> spec = Arbitraries.oneOf(
        Arbitraries.integers().between(1, 6).map(c -> LimitSpec.tokenBucket(c, 1, Duration.ofSeconds(2))),
        Arbitraries.integers().between(1, 8).map(l -> LimitSpec.slidingWindow(l, Duration.ofSeconds(30))),
        Arbitraries.integers().between(1, 8).map(l -> LimitSpec.calendarWindow(l, WindowUnit.MINUTE)),
        Arbitraries.integers().between(1, 2).map(LimitSpec::concurrency));
    Arbitrary<Shape> rule = Combinators.combine(spec, Arbitraries.of("a", "b", "c", "*"),
        Arbitraries.of("user", "tenant", "global"), Arbitraries.integers().between(1, 3), Arbitraries.of(true, false))
        .as(Shape::new);
    return rule.list().ofMinSize(1).ofMaxSize(4).map(shapes -> {
      RateLimitPolicy.Builder p = RateLimitPolicy.builder();
      for (int i = 0; i < shapes.size(); i++) {
        Shape x = shapes.get(i);
        boolean argCost = x.argCost() && !(x.spec() instanceof LimitSpec.Concurrency);
        p.rule(Rule.builder("r" + i).targets(x.target()).key(KeyResolvers.named(x.key())).limit(x.spec())
            .cost(argCost ? Cost.fromArgument("args.n") : Cost.of(x.cost())).build());
      }
      return p.hide("d").build();
    });
  }

  record Shape(LimitSpec spec, String target, String key, int cost, boolean argCost) {}

  static List<TraceEvent> events(List<Step> steps) {
    List<TraceEvent> out = new ArrayList<>();
    long t = T0;
    for (Step s : steps) {
      t += s.gapMillis() * 1_000_000;
      out.add(new TraceEvent(t, CallContext.Method.TOOLS_CALL, s.tool(),
          Map.of("user", "u" + s.user(), "tenant", "t" + s.tenant()), Map.of("n", s.n()), s.durationMillis() * 1_000_000,
          null, null));
    }
    return out;
  }

  record Verdict(boolean granted, String rule, long retryAfter) {}

  /** The reference: the engine called directly, as a server would at those times. */
  static List<Verdict> engine(RateLimitPolicy policy, List<TraceEvent> events) {
    FakeClock clock = FakeClock.atNanos(T0);
    RateLimiter limiter = RateLimiter.builder(policy).clock(clock)
        .store(LimiterStore.inMemory(LimiterStore.DEFAULT_MAXIMUM_KEYS, clock)).build();
    List<Verdict> out = new ArrayList<>();
    List<Object[]> running = new ArrayList<>(); // {end, grant}
    for (TraceEvent e : events) {
      running.removeIf(r -> {
        if ((long) r[0] <= e.epochNanos()) {
          ((Decision.Granted) r[1]).commit();
          return true;
        }
        return false;
      });
      clock.setNanos(e.epochNanos());
      Decision d = limiter.acquire(e.toCall());
      if (d instanceof Decision.Granted g) {
        if (e.durationNanos() > 0) {
          running.add(new Object[] {e.epochNanos() + e.durationNanos(), g});
        } else {
          g.commit();
        }
        out.add(new Verdict(true, "", 0));
      } else {
        Decision.Denied n = (Decision.Denied) d;
        out.add(new Verdict(false, n.rule(), n.retryAfterNanos()));
      }
    }
    return out;
  }

  @Property(tries = 300)
  void theSimulatorDecidesEveryCallAsTheEngineDoes(@ForAll("policies") RateLimitPolicy policy,
      @ForAll("traces") List<Step> steps) {
    List<TraceEvent> events = events(steps);
    List<Verdict> expected = engine(policy, events);
    Simulation sim = Simulator.run("p", policy, events);
    List<Verdict> actual = new ArrayList<>();
    for (Simulation.Outcome o : sim.outcomes) {
      actual.add(o.granted() ? new Verdict(true, "", 0) : new Verdict(false, o.denial().rule(), o.denial().retryAfterNanos()));
    }
    assertEquals(expected, actual);
    assertEquals(expected.stream().filter(v -> !v.granted()).count(), sim.denied);
    long deniedByRules = 0;
    for (Simulation.RuleStats r : sim.rules.values()) {
      deniedByRules += r.denied;
    }
    assertEquals(sim.denied, deniedByRules, "every denial is counted under one rule");
  }
}
