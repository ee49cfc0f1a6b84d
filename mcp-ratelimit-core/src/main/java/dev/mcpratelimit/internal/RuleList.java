package dev.mcpratelimit.internal;

import dev.mcpratelimit.Rule;
import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * The immutable list {@link dev.mcpratelimit.RateLimitPolicy#rulesFor} returns, over an array
 * the policy built once; the engine reads the array itself ({@link #array()}), so a lookup
 * allocates nothing.
 */
public final class RuleList extends AbstractList<Rule> implements RandomAccess {
  private final Rule[] rules;

  /** @param rules the rules, owned by this list from now on */
  public RuleList(Rule[] rules) {
    this.rules = rules;
  }

  /** @return the backing array, for the engine alone: never modify it */
  public Rule[] array() {
    return rules;
  }

  @Override
  public Rule get(int index) {
    return rules[index];
  }

  @Override
  public int size() {
    return rules.length;
  }
}
