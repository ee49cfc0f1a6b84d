package dev.mcpratelimit;

import dev.mcpratelimit.internal.RuleList;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An ordered set of {@link Rule}s and what to do with calls no rule names. For a call, the rules
 * that name its target apply first (in declaration order), then the wildcard ({@code *}) rules;
 * every applicable rule must pass.
 *
 * <p>Immutable and thread-safe; the lookup of a call's rules allocates nothing. Build with
 * {@link #builder()}.
 */
public final class RateLimitPolicy {

  /** What happens to calls whose target no rule names (wildcard rules aside). */
  public enum DefaultAction {
    /** They pass, subject to the wildcard rules (the default). */
    ALLOW,
    /** They are denied. */
    DENY
  }

  /** What the engine does when the store fails (e.g. Redis is down). */
  public enum FailureMode {
    /** Let the call through and report the error to listeners (the default). */
    FAIL_OPEN,
    /** Deny the call and report the error to listeners. */
    FAIL_CLOSED
  }

  private static final Rule[] NONE = new Rule[0];

  private final List<Rule> rules;
  private final DefaultAction defaultAction;
  private final FailureMode failureMode;
  private final Set<String> hidden;
  private final Map<String, HideRule[]> hideRules;
  private final String description;
  private final Map<CallContext.Method, Map<String, RuleList>> byTarget;
  private final Map<CallContext.Method, RuleList> wildcards;

  private RateLimitPolicy(Builder b) {
    this.rules = List.copyOf(b.rules);
    this.defaultAction = b.defaultAction;
    this.failureMode = b.failureMode;
    this.hidden = Set.copyOf(b.hidden);
    Map<String, List<HideRule>> conditional = new HashMap<>();
    for (HideRule h : b.hideRules) {
      conditional.computeIfAbsent(h.tool(), k -> new ArrayList<>()).add(h);
    }
    Map<String, HideRule[]> hr = new HashMap<>();
    conditional.forEach((k, v) -> hr.put(k, v.toArray(new HideRule[0])));
    this.hideRules = Map.copyOf(hr);
    this.description = b.description;
    this.byTarget = new EnumMap<>(CallContext.Method.class);
    this.wildcards = new EnumMap<>(CallContext.Method.class);
    for (CallContext.Method m : CallContext.Method.values()) {
      List<Rule> wild = new ArrayList<>();
      Map<String, List<Rule>> specific = new HashMap<>();
      for (Rule r : rules) {
        if (!r.methods().contains(m)) {
          continue;
        }
        if (r.isWildcard()) {
          wild.add(r);
        }
        for (String t : r.targets()) {
          if (!t.equals(Rule.ANY)) {
            specific.computeIfAbsent(t, k -> new ArrayList<>()).add(r);
          }
        }
      }
      Map<String, RuleList> table = new HashMap<>();
      for (Map.Entry<String, List<Rule>> e : specific.entrySet()) {
        List<Rule> all = new ArrayList<>(e.getValue());
        for (Rule w : wild) {
          if (!all.contains(w)) {
            all.add(w);
          }
        }
        table.put(e.getKey(), new RuleList(all.toArray(NONE)));
      }
      byTarget.put(m, Map.copyOf(table));
      wildcards.put(m, new RuleList(wild.toArray(NONE)));
    }
  }

  /** @return a new builder */
  public static Builder builder() {
    return new Builder();
  }

  /** @return all rules in declaration order */
  public List<Rule> rules() {
    return rules;
  }

  /** @return the action for targets no rule names */
  public DefaultAction defaultAction() {
    return defaultAction;
  }

  /** @return what happens when the store fails */
  public FailureMode failureMode() {
    return failureMode;
  }

  /** @return tool names hidden from every caller (listings and calls); see also {@link #hideRules()} */
  public Set<String> hidden() {
    return hidden;
  }

  /** @return the description, possibly empty */
  public String description() {
    return description;
  }

  /**
   * @param toolName a tool name
   * @return whether the policy hides it from every caller (conditional {@link HideRule}s aside)
   */
  public boolean isHidden(String toolName) {
    return hidden.contains(toolName);
  }

  /** @return the conditional hide rules (those with {@code when} or {@code unless} conditions) */
  public List<HideRule> hideRules() {
    List<HideRule> out = new ArrayList<>();
    for (HideRule[] rs : hideRules.values()) {
      out.addAll(List.of(rs));
    }
    return out;
  }

  /**
   * Whether the tool {@code call.target()} is hidden from the caller of {@code call}: the one
   * predicate behind both the {@code tools/list} filter and the call-time denial. Reads only the
   * call's identity attributes (see {@link HideRule}); allocates nothing.
   *
   * @param call a call (or a listing's context built for that tool) and its caller
   * @return whether that caller must neither see nor call the tool
   */
  public boolean isHiddenFor(CallContext call) {
    String tool = call.target();
    if (hidden.contains(tool)) {
      return true;
    }
    if (hideRules.isEmpty()) {
      return false;
    }
    HideRule[] rs = hideRules.get(tool);
    if (rs != null) {
      for (HideRule h : rs) {
        if (h.hides(call)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Whether some non-wildcard rule names this target.
   *
   * @param method the method
   * @param target the target
   * @return whether it is named
   */
  public boolean names(CallContext.Method method, String target) {
    return byTarget.get(method).containsKey(target);
  }

  /**
   * The rules that apply to a method and target, tool-specific first, then wildcard. Built when
   * the policy was built: a lookup allocates nothing.
   *
   * @param method the method
   * @param target the target
   * @return the applicable rules, an immutable list
   */
  public List<Rule> rulesFor(CallContext.Method method, String target) {
    RuleList r = byTarget.get(method).get(target);
    return r != null ? r : wildcards.get(method);
  }

  @Override
  public String toString() {
    return "RateLimitPolicy{" + rules.size() + " rules, default=" + defaultAction + ", hidden=" + hidden
        + (hideRules.isEmpty() ? "" : ", hiddenFor=" + hideRules()) + '}';
  }

  /** Builds a {@link RateLimitPolicy}. Not thread-safe. */
  public static final class Builder {
    private final List<Rule> rules = new ArrayList<>();
    private DefaultAction defaultAction = DefaultAction.ALLOW;
    private FailureMode failureMode = FailureMode.FAIL_OPEN;
    private final Set<String> hidden = new LinkedHashSet<>();
    private final List<HideRule> hideRules = new ArrayList<>();
    private String description = "";

    private Builder() {}

    /** @param rule a rule; names must be unique @return this builder */
    public Builder rule(Rule rule) {
      rules.add(Objects.requireNonNull(rule, "rule"));
      return this;
    }

    /** @param rules rules @return this builder */
    public Builder rules(Iterable<Rule> rules) {
      for (Rule r : rules) {
        rule(r);
      }
      return this;
    }

    /** @param action for targets no rule names; default ALLOW @return this builder */
    public Builder defaultAction(DefaultAction action) {
      this.defaultAction = Objects.requireNonNull(action, "defaultAction");
      return this;
    }

    /** @param mode behaviour on store failure; default FAIL_OPEN @return this builder */
    public Builder failureMode(FailureMode mode) {
      this.failureMode = Objects.requireNonNull(mode, "failureMode");
      return this;
    }

    /** @param toolNames tools to hide and deny @return this builder */
    public Builder hide(String... toolNames) {
      for (String t : toolNames) {
        hidden.add(Objects.requireNonNull(t, "toolName"));
      }
      return this;
    }

    /** @param toolNames tools to hide and deny @return this builder */
    public Builder hide(Iterable<String> toolNames) {
      for (String t : toolNames) {
        hidden.add(Objects.requireNonNull(t, "toolName"));
      }
      return this;
    }

    /**
     * Hides a tool from the callers a rule selects; a rule without conditions hides it from all.
     *
     * @param rule the rule
     * @return this builder
     */
    public Builder hide(HideRule rule) {
      Objects.requireNonNull(rule, "hideRule");
      if (rule.isUnconditional()) {
        hidden.add(rule.tool());
      } else {
        hideRules.add(rule);
      }
      return this;
    }

    /** @param description free text @return this builder */
    public Builder description(String description) {
      this.description = Objects.requireNonNull(description, "description");
      return this;
    }

    /**
     * Validates and builds.
     *
     * @return the policy
     * @throws IllegalArgumentException on duplicate rule names
     */
    public RateLimitPolicy build() {
      Set<String> names = new HashSet<>();
      for (Rule r : rules) {
        if (!names.add(r.name())) {
          throw new IllegalArgumentException("duplicate rule name '" + r.name() + "': rule names must be unique");
        }
      }
      return new RateLimitPolicy(this);
    }
  }
}
