package dev.mcpratelimit.internal;

import dev.mcpratelimit.Clock;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.spi.Probe;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.spi.Batch;

/**
 * Builds the denial of a batch the store refused, from the probes it filled: the first denying
 * rule's details, the largest retry-after of all denying rules, waitable only when every denying
 * rule's wait fits its max wait.
 */
final class LimitDenials {
  private LimitDenials() {}

  /**
   * The denial of a refused batch.
   *
   * @param rules the evaluation that laid the batch out: the rule of each entry
   */
  static Decision.Denied ofBatch(Batch batch, Evaluation rules) {
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
    Decision.Denied d = ofEntry(rules.rule(first), batch, first, waitable && retry >= 0);
    if (d.retryAfterNanos() != retry) {
      d = d.withRetryAfter(retry, d.waitable());
    }
    return d;
  }

  /** The denial of one refused entry, as its probe describes it. */
  static Decision.Denied ofEntry(Rule rule, Batch batch, int i, boolean waitable) {
    Probe p = batch.probe(i);
    LimitSpec spec = batch.spec(i);
    long reset = p.resetAtNanos();
    return Decision.Denied.rateLimited(rule.name(), spec.limit(), DenialMessages.limitReached(rule, spec, batch.cost(i)))
        .scope(rule.key().dimensions())
        .window(spec.window())
        .remaining(p.remaining())
        .cost(batch.cost(i))
        .retryAfterNanos(p.retryAfterNanos())
        .resetAt(reset == Probe.NEVER ? null : Clock.toInstant(reset))
        .waitable(waitable)
        .build();
  }
}
