package dev.mcpratelimit.internal;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Condition;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.Mode;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.spi.Batch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Evaluates the rules of one call and lays them out as what the store takes: selects the rules
 * whose selectors pick the call, tests their conditions, resolves each limit rule's key and cost
 * ({@link EntryResolver}) and its wait budget, and adds the enforced ones to {@link #batch} and
 * the shadow ones to {@link #shadow}, remembering which rule each entry is. A refusal by an
 * enforced rule ends the evaluation; a shadow rule's is kept as a would-be denial.
 *
 * <p>One per thread, reused by every decision on it ({@link #begin}): the enforced path allocates
 * nothing. Not thread-safe.
 */
final class Evaluation {
  /** The enforced rules' entries. */
  final Batch batch = new Batch();
  private final Batch shadowBatch = new Batch();
  private final EntryResolver.Entry entry = new EntryResolver.Entry();
  private Rule[] batchRules = new Rule[8]; // the rule of each entry of batch
  private @Nullable Batch shadow; // the shadow rules' entries, when there are any
  private Rule @Nullable [] shadowRules;
  private @Nullable List<Decision.Denied> shadowDenials;

  /** Starts the evaluation of a call decided at {@code now}. @return this */
  Evaluation begin(long now) {
    batch.reset(now);
    shadow = null;
    shadowRules = null;
    shadowDenials = null;
    return this;
  }

  /**
   * Evaluates {@code rules} for {@code call}. When {@code waiting}, each rule may wait up to its
   * max wait counted from {@code startedAt}; otherwise no rule waits.
   *
   * @return the refusal of an enforced rule (a condition, key or cost), or {@code null} when every
   *     applicable rule was laid out
   */
  Decision.@Nullable Denied evaluate(CallContext call, Rule[] rules, long now, long startedAt, boolean waiting,
      EntryResolver resolver) {
    for (Rule rule : rules) {
      if (!rule.appliesTo(call)) {
        continue; // its selectors do not pick this call (e.g. another plan's rule)
      }
      final boolean isShadow = rule.mode() == Mode.SHADOW;
      Decision.Denied problem = failedCondition(rule, call);
      LimitSpec spec = rule.limit();
      if (problem == null && spec != null) {
        EntryResolver.Outcome o = resolver.resolve(rule, spec, call, entry);
        if (o == EntryResolver.Outcome.SKIP) {
          continue;
        }
        problem = entry.problem;
      }
      if (problem != null) {
        if (!isShadow) {
          return problem;
        }
        shadowDenied(problem);
        continue;
      }
      if (spec == null) {
        continue; // validation-only rule: its conditions held
      }
      if (isShadow) {
        addShadow(rule, spec, rules.length, now);
      } else {
        long budget = waiting ? Math.max(0, Arith.satSub(rule.maxWait().toNanos(), now - startedAt)) : 0;
        addEnforced(rule, spec, budget, rules.length);
      }
    }
    return null;
  }

  private static Decision.@Nullable Denied failedCondition(Rule rule, CallContext call) {
    for (Condition c : rule.conditions()) {
      if (!c.test(call)) {
        return Decision.Denied.conditionFailed(rule.name(), DenialMessages.conditionFailed(rule, c));
      }
    }
    return null;
  }

  private void addEnforced(Rule rule, LimitSpec spec, long budget, int ruleCount) {
    int i = batch.add(rule.name(), rule.stateIdentity(), entry.part, spec, entry.cost, budget);
    if (i >= batchRules.length) {
      batchRules = Arrays.copyOf(batchRules, ruleCount);
    }
    batchRules[i] = rule;
  }

  private void addShadow(Rule rule, LimitSpec spec, int ruleCount, long now) {
    Batch s = shadow;
    Rule[] sr = shadowRules;
    if (s == null || sr == null) {
      s = shadow = shadowBatch.reset(now);
      sr = shadowRules = new Rule[ruleCount];
    }
    sr[s.add(rule.name(), rule.stateIdentity(), entry.part, spec, entry.cost, 0)] = rule;
  }

  /** @param i an entry of {@link #batch} @return its rule */
  Rule rule(int i) {
    return batchRules[i];
  }

  /** @return the shadow rules' entries, or {@code null} when no shadow rule counts this call */
  @Nullable Batch shadow() {
    return shadow;
  }

  /** @param i an entry of {@link #shadow()} @return its rule */
  Rule shadowRule(int i) {
    return Objects.requireNonNull(shadowRules)[i];
  }

  /** Keeps what a shadow rule would have denied. */
  void shadowDenied(Decision.Denied d) {
    List<Decision.Denied> l = shadowDenials;
    if (l == null) {
      l = shadowDenials = new ArrayList<>(2);
    }
    l.add(d);
  }

  /** @return what shadow rules would have denied, or {@code null} for nothing */
  @Nullable List<Decision.Denied> shadowDenials() {
    return shadowDenials;
  }

  /** @return the longest wait the store booked for the granted batch, in nanoseconds */
  long delay() {
    long delay = 0;
    for (int i = 0; i < batch.size(); i++) {
      delay = Math.max(delay, batch.probe(i).waitNanos());
    }
    return delay;
  }

  /** Forgets the enforced entries' rules, once the store has decided, so no rule outlives its policy here. */
  void forgetRules() {
    Arrays.fill(batchRules, 0, batch.size(), null);
  }
}
