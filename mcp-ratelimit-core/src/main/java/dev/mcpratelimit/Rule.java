package dev.mcpratelimit;

import dev.mcpratelimit.internal.Names;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One rule of a policy: which calls it applies to (selector), what they must satisfy
 * (conditions), whose budget they spend (key), how much (cost) of what limit (spec), and how a
 * denial reads.
 *
 * <p>A rule without a limit is a pure validation rule: it denies calls whose conditions fail. A
 * rule with a limit denies calls that fail a condition or exceed the limit.
 *
 * <p>Immutable and thread-safe. Build with {@link #builder(String)}; {@link Builder#build()}
 * validates and names the setting at fault.
 */
public final class Rule {
  /** Selector value that matches every target. */
  public static final String ANY = "*";

  private final String name;
  private final Set<String> targets;
  private final Set<CallContext.Method> methods;
  private final List<Condition> conditions;
  private final Condition[] when;
  private final KeyResolver key;
  private final @Nullable LimitSpec limit;
  private final Cost cost;
  private final @Nullable String onDeny;
  private final Mode mode;
  private final Duration maxWait;
  private final MissingIdentity onMissingIdentity;
  private final String stateIdentity;

  private Rule(Builder b) {
    this.name = b.name;
    this.targets = Set.copyOf(b.targets);
    this.methods = Set.copyOf(b.methods);
    this.conditions = List.copyOf(b.conditions);
    this.when = b.when.toArray(new Condition[0]);
    this.key = b.key;
    this.limit = b.limit;
    this.cost = b.cost;
    this.onDeny = b.onDeny;
    this.mode = b.mode;
    this.maxWait = b.maxWait;
    this.onMissingIdentity = b.onMissingIdentity;
    this.stateIdentity = name + '\u0000' + String.join("+", key.dimensions()) + '\u0000' + limit;
  }

  /**
   * Starts a rule.
   *
   * @param name unique within its policy; shown in denials
   * @return a builder
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** @return the rule's name */
  public String name() {
    return name;
  }

  /** @return the targets it applies to; contains {@link #ANY} for every target */
  public Set<String> targets() {
    return targets;
  }

  /** @return whether it applies to every target of its methods */
  public boolean isWildcard() {
    return targets.contains(ANY);
  }

  /** @return the methods it applies to */
  public Set<CallContext.Method> methods() {
    return methods;
  }

  /** @return the conditions every call must satisfy */
  public List<Condition> conditions() {
    return conditions;
  }

  /** @return the selector conditions: the rule applies only to calls satisfying all of them */
  public List<Condition> when() {
    return List.of(when);
  }

  /**
   * Whether this rule applies to a call by its {@link #when()} conditions (target and method
   * aside): a call failing one is not subject to the rule, which neither limits nor denies it.
   * Allocates nothing.
   *
   * @param call the call
   * @return whether every selector condition holds (true when there are none)
   */
  public boolean appliesTo(CallContext call) {
    for (Condition c : when) {
      if (!c.test(call)) {
        return false;
      }
    }
    return true;
  }

  /** @return the key resolver */
  public KeyResolver key() {
    return key;
  }

  /** @return the limit, or {@code null} for a pure validation rule */
  public @Nullable LimitSpec limit() {
    return limit;
  }

  /** @return the cost per call */
  public Cost cost() {
    return cost;
  }

  /** @return the message for denials, or {@code null} for a generated one */
  public @Nullable String onDeny() {
    return onDeny;
  }

  /** @return enforce or shadow */
  public Mode mode() {
    return mode;
  }

  /** @return the longest a call may wait for this rule instead of being denied; zero = never wait */
  public Duration maxWait() {
    return maxWait;
  }

  /** @return what happens when the key cannot be resolved */
  public MissingIdentity onMissingIdentity() {
    return onMissingIdentity;
  }

  /**
   * Whether this rule applies to a method and target (conditions aside).
   *
   * @param method the method
   * @param target the target
   * @return whether it is selected
   */
  public boolean selects(CallContext.Method method, String target) {
    return methods.contains(method) && (targets.contains(ANY) || targets.contains(target));
  }

  /**
   * The identity of this rule's counters: two rules (for example before and after a policy
   * reload) with the same name, key dimensions and limit share state.
   *
   * @return a stable identity string
   */
  public String stateIdentity() {
    return stateIdentity;
  }

  @Override
  public String toString() {
    return "Rule{" + name + ", targets=" + targets + ", key=" + key.dimensions() + ", limit=" + limit
        + ", cost=" + cost + ", mode=" + mode + (maxWait.isZero() ? "" : ", maxWait=" + maxWait) + '}';
  }

  /** Builds a {@link Rule}. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private final Set<String> targets = new LinkedHashSet<>();
    private final Set<CallContext.Method> methods = EnumSet.noneOf(CallContext.Method.class);
    private final List<Condition> conditions = new ArrayList<>();
    private final List<Condition> when = new ArrayList<>();
    private KeyResolver key = KeyResolvers.user();
    private @Nullable LimitSpec limit;
    private Cost cost = Cost.one();
    private @Nullable String onDeny;
    private Mode mode = Mode.ENFORCE;
    private Duration maxWait = Duration.ZERO;
    private MissingIdentity onMissingIdentity = MissingIdentity.SHARED;

    private Builder(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("rule name must not be blank");
      }
      this.name = Names.checkNoControl("rule name", name);
    }

    /**
     * Applies the rule to these tool names (or resource URIs / prompt names, with
     * {@link #methods}). {@code "*"} means every target. Default: every target.
     *
     * @param targets names
     * @return this builder
     */
    public Builder targets(String... targets) {
      for (String t : targets) {
        this.targets.add(Objects.requireNonNull(t, "target"));
      }
      return this;
    }

    /** @param targets names @return this builder @see #targets(String...) */
    public Builder targets(Iterable<String> targets) {
      for (String t : targets) {
        this.targets.add(Objects.requireNonNull(t, "target"));
      }
      return this;
    }

    /**
     * The methods the rule applies to. Default: {@code tools/call} only.
     *
     * @param methods methods
     * @return this builder
     */
    public Builder methods(CallContext.Method... methods) {
      for (CallContext.Method m : methods) {
        this.methods.add(Objects.requireNonNull(m, "method"));
      }
      return this;
    }

    /** @param condition a requirement on the arguments or the caller's identity @return this builder */
    public Builder condition(Condition condition) {
      conditions.add(Objects.requireNonNull(condition, "condition"));
      return this;
    }

    /**
     * Adds a selector: the rule applies only to calls for which every selector holds, for example
     * {@code Condition.of("identity.plan", Op.EQ, "pro")} for a rule of the pro plan. Unlike a
     * {@link #condition}, a call failing a selector is not denied: the rule just does not apply.
     *
     * @param condition a test on the arguments or the caller's identity
     * @return this builder
     */
    public Builder when(Condition condition) {
      when.add(Objects.requireNonNull(condition, "when"));
      return this;
    }

    /** @param key whose budget calls spend; default {@link KeyResolvers#user()} @return this builder */
    public Builder key(KeyResolver key) {
      this.key = Objects.requireNonNull(key, "key");
      return this;
    }

    /** @param limit the limit; none makes a validation-only rule @return this builder */
    public Builder limit(@Nullable LimitSpec limit) {
      this.limit = limit;
      return this;
    }

    /** @param cost the cost per call; default 1 @return this builder */
    public Builder cost(Cost cost) {
      this.cost = Objects.requireNonNull(cost, "cost");
      return this;
    }

    /** @param cost a constant cost per call @return this builder */
    public Builder cost(long cost) {
      return cost(Cost.of(cost));
    }

    /** @param message shown to the agent on denial @return this builder */
    public Builder onDeny(@Nullable String message) {
      this.onDeny = message;
      return this;
    }

    /** @param mode enforce (default) or shadow @return this builder */
    public Builder mode(Mode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * How long a call may wait for this rule instead of being denied. Default zero. Counted from
     * the call's first attempt. When several rules deny one call, it waits only if each denying
     * rule's own retry-after fits within that rule's max wait, and then sleeps the longest of
     * them; a rule that would be ready sooner is not held responsible for the longer sleep.
     *
     * @param maxWait zero or positive
     * @return this builder
     */
    public Builder maxWait(Duration maxWait) {
      Objects.requireNonNull(maxWait, "maxWait");
      if (maxWait.isNegative()) {
        throw new IllegalArgumentException("maxWait of rule '" + name + "' must not be negative, but was " + maxWait);
      }
      if (maxWait.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("maxWait of rule '" + name + "' must be at most 1 hour, but was " + maxWait);
      }
      this.maxWait = maxWait;
      return this;
    }

    /** @param mode what happens when the key is missing; default SHARED @return this builder */
    public Builder onMissingIdentity(MissingIdentity mode) {
      this.onMissingIdentity = Objects.requireNonNull(mode, "onMissingIdentity");
      return this;
    }

    /**
     * Validates and builds.
     *
     * @return the rule
     * @throws IllegalArgumentException naming the bad setting
     */
    public Rule build() {
      if (targets.isEmpty()) {
        targets.add(ANY);
      }
      if (methods.isEmpty()) {
        methods.add(CallContext.Method.TOOLS_CALL);
      }
      for (String d : key.dimensions()) {
        Names.checkNoControl("key dimension of rule '" + name + "'", d);
      }
      if (limit == null && conditions.isEmpty()) {
        throw new IllegalArgumentException("rule '" + name + "' has neither a limit nor a condition: it would do nothing");
      }
      if (limit instanceof LimitSpec.Concurrency && cost.isArgumentDerived()) {
        throw new IllegalArgumentException("rule '" + name + "': a concurrency limit takes a constant cost");
      }
      return new Rule(this);
    }
  }
}
