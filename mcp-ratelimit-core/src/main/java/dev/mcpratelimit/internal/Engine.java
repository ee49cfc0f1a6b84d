package dev.mcpratelimit.internal;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Clock;
import dev.mcpratelimit.Condition;
import dev.mcpratelimit.Cost;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.KeyResolver;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.Mode;
import dev.mcpratelimit.spi.Probe;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/** The {@link RateLimiter} implementation. */
public final class Engine implements AsyncEngine {
  /** Most scopes that may be backed off at once (bounds memory if a handler misbehaves). */
  static final int MAX_BACKOFFS = 10_000;

  private static final ThreadLocal<Batch> BATCH = ThreadLocal.withInitial(Batch::new);
  private static final ThreadLocal<Batch> SHADOW_BATCH = ThreadLocal.withInitial(Batch::new);
  private static final ThreadLocal<Rule[]> BATCH_RULES = ThreadLocal.withInitial(() -> new Rule[8]);

  private volatile RateLimitPolicy policy;
  private final Clock clock;
  private final LimiterStore store;
  private final RateLimitListener listener;
  private final boolean hasListener;
  private final Sleeper sleeper;
  private final Map<BackoffKey, Long> backoffs = new ConcurrentHashMap<>();
  private final List<KeyResolver> backoffScopes = new CopyOnWriteArrayList<>();

  private final int maxKeyPartLength;
  private final int lengthPrefix; // characters a composite key adds per part at most: digits and ':'

  public Engine(RateLimitPolicy policy, Clock clock, LimiterStore store, RateLimitListener listener, Sleeper sleeper,
      int maxKeyPartLength) {
    if (maxKeyPartLength < 1) {
      throw new IllegalArgumentException("maxKeyPartLength must be at least 1, but was " + maxKeyPartLength);
    }
    this.maxKeyPartLength = maxKeyPartLength;
    this.lengthPrefix = Integer.toString(maxKeyPartLength).length() + 1;
    this.policy = Objects.requireNonNull(policy, "policy");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.store = Objects.requireNonNull(store, "store");
    this.listener = listener;
    this.hasListener = !(listener instanceof SafeListener s) || !s.isEmpty();
    this.sleeper = sleeper;
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
    final CallContext.Method method = call.method();
    final String target = call.target();

    if (method == CallContext.Method.TOOLS_CALL && pol.isHiddenFor(call)) {
      return denied(call, Decision.Denied.hidden("Tool '" + target + "' is not available (hidden by policy)"));
    }
    if (pol.defaultAction() == RateLimitPolicy.DefaultAction.DENY && method != CallContext.Method.HTTP_REQUEST
        && !pol.names(method, target)) {
      return denied(call, Decision.Denied.notAllowed("'" + target + "' is not allowed by the rate-limit policy"));
    }
    final Rule[] rules = ((RuleList) pol.rulesFor(method, target)).array();
    if (!backoffs.isEmpty()) {
      Decision.Denied b = checkBackoff(call, rules, now, startedAt, waiting);
      if (b != null) {
        return denied(call, b);
      }
    }
    if (rules.length == 0) {
      Decision.Granted g = new Grant(null, null, 0, List.of()); // own instance: isSettled() must hold per call
      if (hasListener) {
        listener.onGranted(call, g);
      }
      return g;
    }

    final Batch batch = BATCH.get().reset(now);
    Batch shadow = null;
    Rule[] batchRules = BATCH_RULES.get();
    Rule[] shadowRules = null;
    List<Decision.Denied> shadowDenials = null;

    for (Rule rule : rules) {
      if (!rule.appliesTo(call)) {
        continue; // its selectors do not pick this call (e.g. another plan's rule)
      }
      final boolean isShadow = rule.mode() == Mode.SHADOW;
      Decision.Denied problem = null;
      for (Condition c : rule.conditions()) {
        if (!c.test(call)) {
          problem = conditionDenial(rule, c);
          break;
        }
      }
      LimitSpec spec = rule.limit();
      String part = null;
      long cost = 0;
      if (problem == null && spec != null) {
        part = rule.key().resolve(call);
        if (part != null && part.length() > maxKeyPartLength) {
          problem = keyTooLong(rule, part);
        } else if (part == null) {
          switch (rule.onMissingIdentity()) {
            case SKIP:
              continue;
            case DENY:
              problem = Decision.Denied.missingIdentity(rule.name(), rule.key().dimensions(),
                  "Rule '" + rule.name() + "' needs the caller's " + String.join(" and ", rule.key().dimensions())
                      + ", which this call does not carry");
              break;
            default:
              break; // SHARED: the null part is the shared anonymous bucket
          }
        }
        if (problem == null) {
          try {
            cost = rule.cost().resolve(call);
          } catch (Cost.InvalidCostException e) {
            problem = Decision.Denied.invalidCost(rule.name(), rule.key().dimensions(), 0, e.getMessage());
          }
          if (problem == null && cost > spec.limit()) {
            // can never fit (and may be more than the store can represent): decided here, the same
            // on every store, before any store sees it
            problem = Decision.Denied.invalidCost(rule.name(), rule.key().dimensions(), cost, tooLarge(rule, spec, cost));
          }
        }
      }
      if (problem != null) {
        if (!isShadow) {
          return denied(call, problem);
        }
        shadowDenials = add(shadowDenials, problem);
        continue;
      }
      if (spec == null) {
        continue; // validation-only rule: its conditions held
      }
      long budget = 0;
      if (waiting) {
        budget = Math.max(0, Arith.satSub(rule.maxWait().toNanos(), now - startedAt));
      }
      if (isShadow) {
        if (shadow == null) {
          shadow = SHADOW_BATCH.get().reset(now);
          shadowRules = new Rule[rules.length];
        }
        shadowRules[shadow.add(rule.name(), rule.stateIdentity(), part, spec, cost, 0)] = rule;
      } else {
        int i = batch.add(rule.name(), rule.stateIdentity(), part, spec, cost, budget);
        if (i >= batchRules.length) {
          batchRules = java.util.Arrays.copyOf(batchRules, rules.length);
          BATCH_RULES.set(batchRules);
        }
        batchRules[i] = rule;
      }
    }

    LimiterStore.Ticket ticket = null;
    long delay = 0;
    if (batch.size() > 0) {
      try {
        ticket = store.acquire(batch);
      } catch (RuntimeException e) {
        if (hasListener) {
          listener.onStoreError(e);
        }
        if (isInvalidInput(e)) {
          // the store refused a value, not an outage: never a fail-open grant
          Rule first = batchRules[0];
          java.util.Arrays.fill(batchRules, 0, batch.size(), null);
          return denied(call, Decision.Denied.invalidCost(first.name(), first.key().dimensions(), 0,
              "Rule '" + first.name() + "' cannot count this call: the rate-limit store cannot represent its cost"));
        }
        java.util.Arrays.fill(batchRules, 0, batch.size(), null);
        if (pol.failureMode() == RateLimitPolicy.FailureMode.FAIL_CLOSED) {
          return denied(call, Decision.Denied.storeUnavailable(
              "Rate limiting is temporarily unavailable; try again shortly"));
        }
        return granted(call, new Grant(null, null, 0, List.of()));
      }
      if (ticket == null) {
        Decision.Denied d = batchDenial(batch, batchRules, now);
        java.util.Arrays.fill(batchRules, 0, batch.size(), null);
        return denied(call, d);
      }
      for (int i = 0; i < batch.size(); i++) {
        delay = Math.max(delay, batch.probe(i).waitNanos());
        batchRules[i] = null;
      }
    }

    LimiterStore.Ticket shadowTicket = null;
    if (shadow != null) {
      boolean shadowFailed = false;
      try {
        shadowTicket = store.acquire(shadow);
      } catch (RuntimeException e) {
        shadowFailed = true; // the probes say nothing: report the error, not would-be denials
        if (hasListener) {
          listener.onStoreError(e);
        }
      }
      if (shadowTicket == null && !shadowFailed) {
        for (int i = 0; i < shadow.size(); i++) {
          if (!shadow.probe(i).granted()) {
            shadowDenials = add(shadowDenials, limitDenial(shadowRules[i], shadow, i, now, false));
          }
        }
      }
    }
    if (shadowDenials != null && hasListener) {
      for (Decision.Denied d : shadowDenials) {
        listener.onShadowDenied(call, d);
      }
    }
    if (delay == 0 && shadowTicket == null && shadowDenials == null && ticket instanceof Decision.Granted g) {
      return granted(call, g); // the store's ticket is the decision: one allocation per grant
    }
    return granted(call, new Grant(ticket, shadowTicket, delay,
        shadowDenials == null ? List.of() : List.copyOf(shadowDenials)));
  }

  private static List<Decision.Denied> add(@Nullable List<Decision.Denied> list, Decision.Denied d) {
    List<Decision.Denied> l = list == null ? new ArrayList<>(2) : list;
    l.add(d);
    return l;
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

  /** The denial of a batch: the first denying rule's details, the largest retry-after of all. */
  private Decision.Denied batchDenial(Batch batch, Rule[] rules, long now) {
    int first = -1;
    long retry = 0;
    boolean waitable = true;
    for (int i = 0; i < batch.size(); i++) {
      Probe p = batch.probe(i);
      if (p.granted()) {
        continue;
      }
      if (first < 0) {
        first = i;
      }
      long r = p.retryAfterNanos();
      if (r < 0 || retry < 0) {
        retry = Probe.NEVER;
      } else {
        retry = Math.max(retry, r);
      }
      if (r < 0 || r > batch.maxWaitNanos(i) || batch.maxWaitNanos(i) == 0) {
        waitable = false;
      }
    }
    if (first < 0) {
      first = 0; // store said no without marking an entry: report the first rule
      retry = Probe.NEVER;
      waitable = false;
    }
    Decision.Denied d = limitDenial(rules[first], batch, first, now, waitable && retry >= 0);
    if (d.retryAfterNanos() != retry) {
      d = d.withRetryAfter(retry, d.waitable());
    }
    return d;
  }

  private static Decision.Denied limitDenial(Rule rule, Batch batch, int i, long now, boolean waitable) {
    Probe p = batch.probe(i);
    LimitSpec spec = batch.spec(i);
    long reset = p.resetAtNanos();
    String message = rule.onDeny() != null ? rule.onDeny() : describe(rule, spec, batch.cost(i));
    return Decision.Denied.rateLimited(rule.name(), spec.limit(), message)
        .scope(rule.key().dimensions())
        .window(spec.window())
        .remaining(p.remaining())
        .cost(batch.cost(i))
        .retryAfterNanos(p.retryAfterNanos())
        .resetAt(reset == Probe.NEVER ? null : Clock.toInstant(reset))
        .waitable(waitable)
        .build();
  }

  static String describe(Rule rule, LimitSpec spec, long cost) {
    String per = rule.key().dimensions().equals(List.of("global")) ? "" : " per " + String.join(" and ", rule.key().dimensions());
    if (spec instanceof LimitSpec.Concurrency c) {
      return "At most " + c.maxInFlight() + " call" + (c.maxInFlight() == 1 ? "" : "s") + " at a time" + per
          + " (rule '" + rule.name() + "')";
    }
    if (cost > spec.limit()) {
      return "Cost " + cost + " exceeds the limit of " + spec.limit() + " of rule '" + rule.name() + "'";
    }
    Duration w = Objects.requireNonNull(spec.window());
    if (spec instanceof LimitSpec.TokenBucket) {
      return "Used the burst of " + spec.limit() + per + ", which refills over " + human(w) + " (rule '" + rule.name() + "')";
    }
    String window = human(w);
    return "Limit of " + spec.limit() + " per " + (window.startsWith("1 ") ? window.substring(2) : window) + per
        + " reached (rule '" + rule.name() + "')";
  }

  /** "1 minute", "10 minutes", "1 hour", "1.5 seconds". */
  public static String human(Duration d) {
    long s = d.getSeconds();
    if (d.getNano() == 0 && s > 0) {
      if (s % 86_400 == 0) {
        return plural(s / 86_400, "day");
      }
      if (s % 3600 == 0) {
        return plural(s / 3600, "hour");
      }
      if (s % 60 == 0) {
        return plural(s / 60, "minute");
      }
      return plural(s, "second");
    }
    if (s == 0 && d.toNanos() % 1_000_000 == 0) {
      return plural(d.toMillis(), "millisecond");
    }
    return d.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
  }

  private static String plural(long n, String unit) {
    return n == 1 ? "1 " + unit : n + " " + unit + "s";
  }

  private static Decision.Denied conditionDenial(Rule rule, Condition c) {
    String msg = rule.onDeny() != null ? rule.onDeny()
        : "Rule '" + rule.name() + "' requires " + c.path() + " " + c.op().text() + " " + c.value();
    return Decision.Denied.conditionFailed(rule.name(), msg);
  }

  /**
   * A key part over the bound: a single value longer than {@link #maxKeyPartLength}, or a composite
   * part longer than its values (each at most that long, with their length prefixes) can be.
   * Denied rather than stored: memory per key stays bounded whatever callers send.
   */
  private Decision.@Nullable Denied keyTooLong(Rule rule, String part) {
    List<String> dims = rule.key().dimensions();
    long max = dims.size() == 1 ? maxKeyPartLength : (long) dims.size() * (maxKeyPartLength + lengthPrefix);
    if (part.length() <= max) {
      return null;
    }
    return Decision.Denied.invalidKey(rule.name(), dims, "Rule '" + rule.name() + "': the call's "
        + String.join(" and ", dims) + " is " + part.length() + " characters long; a key value may have at most "
        + maxKeyPartLength);
  }

  /** The text of a cost that can never fit a rule's limit: the same on every store. */
  static String tooLarge(Rule rule, LimitSpec spec, long cost) {
    return "Rule '" + rule.name() + "': a cost of " + cost + " exceeds the rule's whole limit of " + spec.limit()
        + " and can never be granted";
  }

  /**
   * Whether a store exception means the store refused a value (a bug or hostile input), not that
   * it cannot decide now: {@link IllegalArgumentException} (the SPI's contract for a value the
   * store cannot represent) and {@link ArithmeticException}. Everything else is an outage.
   */
  static boolean isInvalidInput(RuntimeException e) {
    return e instanceof IllegalArgumentException || e instanceof ArithmeticException;
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

  /** A backed-off scope; a {@code null} value is the scope of callers without that identity. */
  private record BackoffKey(String dimensions, @Nullable String value) {}

  private Decision.@Nullable Denied checkBackoff(CallContext call, Rule[] rules, long now, long startedAt,
      boolean waiting) {
    for (KeyResolver scope : backoffScopes) {
      String value = scope.resolve(call); // null: the anonymous scope, distinct from any value
      BackoffKey k = new BackoffKey(String.join("+", scope.dimensions()), value);
      Long until = backoffs.get(k);
      if (until == null) {
        continue;
      }
      if (until <= now) {
        backoffs.remove(k, until);
        continue;
      }
      long retry = until - now;
      long maxWait = 0;
      for (Rule r : rules) {
        maxWait = Math.max(maxWait, r.maxWait().toNanos());
      }
      boolean waitable = waiting && until - startedAt <= maxWait; // a plain acquire never waits
      return backoffDenial(scope, until, now, waitable);
    }
    return null;
  }

  private static Decision.Denied backoffDenial(KeyResolver scope, long until, long now, boolean waitable) {
    long retry = until - now;
    return Decision.Denied.backoff(scope.dimensions(), retry, Clock.toInstant(until),
        "The upstream service is throttling this " + String.join(" and ", scope.dimensions())
            + "; calls resume in " + human(Duration.ofSeconds((retry + 999_999_999) / 1_000_000_000)), waitable);
  }

  @Override
  public void backoff(KeyResolver scope, String value, Instant until) {
    backoffScope(scope, Objects.requireNonNull(value, "value"), until);
  }

  private void backoffScope(KeyResolver scope, @Nullable String value, Instant until) {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(until, "until");
    long untilNanos = Arith.satAdd(Arith.satMul(Math.max(0, until.getEpochSecond()), 1_000_000_000L), until.getNano());
    BackoffKey k = new BackoffKey(String.join("+", scope.dimensions()), value);
    if (backoffs.size() >= MAX_BACKOFFS && !backoffs.containsKey(k)) {
      long now = clock.nanos();
      backoffs.values().removeIf(u -> u <= now);
      if (backoffs.size() >= MAX_BACKOFFS) {
        throw new IllegalStateException("too many scopes backed off at once (" + MAX_BACKOFFS + ")");
      }
    }
    backoffs.merge(k, untilNanos, Math::max);
    synchronized (backoffScopes) {
      boolean known = false;
      for (KeyResolver r : backoffScopes) {
        known |= r.dimensions().equals(scope.dimensions());
      }
      if (!known) {
        backoffScopes.add(scope);
      }
    }
  }

  @Override
  public Decision.Denied backoff(CallContext call, KeyResolver scope, Duration duration) {
    Objects.requireNonNull(duration, "duration");
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("backoff duration must be positive, but was " + duration);
    }
    // a call without a value for the scope backs off every caller without one (as they share a
    // bucket), and no caller whose value merely looks empty
    long now = clock.nanos();
    long until = Arith.satAdd(now, duration.getSeconds() >= Long.MAX_VALUE / 1_000_000_000L ? Long.MAX_VALUE
        : duration.toNanos());
    backoffScope(scope, scope.resolve(call), Clock.toInstant(until));
    return backoffDenial(scope, until, now, false);
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

  /**
   * A granted decision: the store tickets of its enforced and shadow rules. Settling never throws:
   * the call it settles has already run, so a store failure then (a timeout on a refund or a
   * permit release) goes to the listeners' {@code onStoreError} instead of replacing the call's
   * result; permits that were not freed come back when the store's lease on them ends.
   */
  final class Grant implements Decision.Granted {
    private final LimiterStore.@Nullable Ticket ticket;
    private final LimiterStore.@Nullable Ticket shadowTicket;
    private final long delay;
    private final List<Decision.Denied> shadowDenials;
    private static final java.lang.invoke.VarHandle SETTLED;

    static {
      try {
        SETTLED = java.lang.invoke.MethodHandles.lookup().findVarHandle(Grant.class, "settled", boolean.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    @SuppressWarnings("unused") // accessed through SETTLED
    private volatile boolean settled;

    Grant(LimiterStore.@Nullable Ticket ticket, LimiterStore.@Nullable Ticket shadowTicket, long delay,
        List<Decision.Denied> shadowDenials) {
      this.ticket = ticket;
      this.shadowTicket = shadowTicket;
      this.delay = delay;
      this.shadowDenials = shadowDenials;
    }

    @Override
    public long delayNanos() {
      return delay;
    }

    @Override
    public List<Decision.Denied> shadowDenials() {
      return shadowDenials;
    }

    @Override
    public void commit() {
      if (SETTLED.compareAndSet(this, false, true)) {
        settle(ticket, false);
        settle(shadowTicket, false);
      }
    }

    @Override
    public void release() {
      if (SETTLED.compareAndSet(this, false, true)) {
        settle(ticket, true);
        settle(shadowTicket, true);
      }
    }

    private void settle(LimiterStore.@Nullable Ticket t, boolean refund) {
      if (t == null) {
        return;
      }
      try {
        if (refund) {
          t.refund();
        } else {
          t.releasePermits();
        }
      } catch (RuntimeException e) {
        if (hasListener) {
          listener.onStoreError(e);
        }
      }
    }

    @Override
    public boolean isSettled() {
      return settled;
    }

    @Override
    public String toString() {
      return "Granted{delayNanos=" + delay + ", settled=" + settled + '}';
    }
  }
}
