package dev.mcpratelimit.policy.internal;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Condition;
import dev.mcpratelimit.KeyResolver;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.MissingIdentity;
import dev.mcpratelimit.Mode;
import dev.mcpratelimit.Rule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Reads the rules of a document: names, limit, cost, key, conditions, when and the per-rule settings. */
final class RuleReader {
  private static final Set<String> FIELDS;
  /** Key dimension of the edge section: the client's IP address, as the servlet container sees it. */
  static final String EDGE_ADDRESS = "address";

  static {
    Set<String> f = new HashSet<>(Set.of("name", "key", "cost", "conditions", "when", "onDeny", "mode", "wait",
        "onMissingIdentity", "exact"));
    f.addAll(LimitReaders.BY_FIELD.keySet());
    FIELDS = Set.copyOf(f);
  }

  /**
   * What a rule takes from {@code defaults} when it says nothing.
   *
   * @param key key dimensions
   * @param missing what a call without that identity gets
   * @param mode enforce or shadow
   */
  record Defaults(List<String> key, MissingIdentity missing, Mode mode) {
    static final Defaults NONE = new Defaults(List.of("user"), MissingIdentity.SHARED, Mode.ENFORCE);
  }

  private final Reading r;
  private final Defaults defaults;
  /** Rule name → where it was first used: names identify counters, so they are unique per file. */
  private final Map<String, String> names = new HashMap<>();

  RuleReader(Reading r, Defaults defaults) {
    this.r = r;
    this.defaults = defaults;
  }

  /**
   * Key dimensions: one name or a list of names.
   *
   * @param edge in the edge section, where {@code address} (the client's IP address) is also a dimension
   */
  static @Nullable List<String> keyList(Reading r, @Nullable Node n, String path, boolean edge) {
    if (n == null) {
      return null;
    }
    boolean list = n instanceof Node.ListNode;
    List<Node> items = list ? ((Node.ListNode) n).items : List.of(n);
    List<String> out = new ArrayList<>();
    int before = r.problems.size();
    for (int i = 0; i < items.size(); i++) {
      String p = list ? path + "[" + i + "]" : path;
      String t = r.text(items.get(i), p);
      if (t != null) {
        try {
          keyResolver(t, edge);
          out.add(t);
        } catch (IllegalArgumentException e) {
          r.problem(items.get(i), p, e.getMessage());
        }
      }
    }
    if (out.isEmpty() && r.problems.size() == before) {
      r.problem(n, path, "expected at least one key dimension");
    }
    return out;
  }

  /** A key dimension by name; in the edge section also {@code address}, the client's IP address. */
  private static KeyResolver keyResolver(String name, boolean edge) {
    if (edge && EDGE_ADDRESS.equals(name)) {
      return KeyResolvers.attribute(EDGE_ADDRESS);
    }
    return KeyResolvers.named(name);
  }

  /**
   * @param n the rule's node
   * @param path its path, e.g. {@code tools.create_issue.rules[0]}
   * @param target the tool, resource or prompt it applies to
   * @param method which kind of call
   * @param targetCost the target's {@code cost}, or {@code null}
   * @return the rule, or {@code null} after recording its problems
   */
  @Nullable Rule read(Node n, String path, String target, CallContext.Method method, CostReader.@Nullable Read targetCost) {
    int before = r.problems.size();
    Node.MapNode m = r.map(n, path, FIELDS);
    if (m == null) {
      return null;
    }
    String name = name(m, n, path);
    if (name == null) {
      return null;
    }
    Rule.Builder b = Rule.builder(name).targets(target).methods(method);
    String kind = limitKind(m, path);
    // a target's cost weighs rate limits; a concurrency rule counts calls in flight
    CostReader.Read cost = "concurrency".equals(kind) ? null : targetCost;
    String costPath = cost == null ? null : path.substring(0, path.lastIndexOf(".rules[")) + ".cost";
    if (m.entries.containsKey("cost")) {
      cost = CostReader.read(r, m.entries.get("cost"), path + ".cost");
      costPath = path + ".cost";
    }
    if (m.entries.containsKey("exact") && !"slidingWindow".equals(kind)) {
      r.problem(r.keyAt(m, "exact"), path + ".exact", "exact applies only to a slidingWindow"
          + ("rateLimit".equals(kind) || "quota".equals(kind) ? ": a " + kind + " is a calendar window, which is always exact" : ""));
    }
    if (kind != null) {
      LimitReader.Limit limit = LimitReaders.BY_FIELD.get(kind).read(r, m, m.entries.get(kind), path + "." + kind);
      if (limit != null) {
        b.limit(limit.spec());
        if (limit.cost() != null) {
          cost = limit.cost();
          costPath = path + "." + kind;
        }
        if (cost != null && cost.constant() > limit.spec().limit()) {
          r.problem(costPath.equals(path + ".cost") ? m.entries.get("cost") : m.entries.get(kind), costPath,
              "a cost of " + cost.constant() + " is larger than rule '" + name + "''s whole limit of "
                  + limit.spec().limit() + ": the rule could never grant a call");
        }
      }
    }
    if (cost != null) {
      b.cost(cost.cost());
    }
    boolean edge = method == CallContext.Method.HTTP_REQUEST;
    List<String> key = m.entries.containsKey("key") ? keyList(r, m.entries.get("key"), path + ".key", edge) : defaults.key();
    if (key != null && !key.isEmpty()) {
      List<KeyResolver> rs = new ArrayList<>();
      for (String k : new LinkedHashSet<>(key)) {
        rs.add(keyResolver(k, edge));
      }
      b.key(KeyResolvers.composite(rs));
    }
    Node conds = m.entries.get("conditions");
    for (Condition c : ConditionReader.list(r, conds, path + ".conditions")) {
      b.condition(c);
    }
    // when: identity selectors; the rule applies only to calls that match them all
    for (Condition c : ConditionReader.list(r, m.entries.get("when"), path + ".when")) {
      b.when(c);
    }
    settings(m, path, b);
    if (kind == null && conds == null) {
      r.problem(n, path, "rule '" + name + "' has neither a limit (" + String.join(", ", LimitReaders.BY_FIELD.keySet())
          + ") nor conditions");
    }
    if (r.problems.size() > before) {
      return null;
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      r.problem(n, path, e.getMessage());
      return null;
    }
  }

  private @Nullable String name(Node.MapNode m, Node n, String path) {
    String name = r.text(m.entries.get("name"), path + ".name");
    if (name == null) {
      if (!m.entries.containsKey("name")) {
        r.problem(n, path, "a rule needs a name");
      }
      return null;
    }
    if (name.isBlank()) {
      r.problem(m.entries.get("name"), path + ".name", "a rule name must not be blank");
      return null;
    }
    String earlier = names.putIfAbsent(name, path);
    if (earlier != null) {
      r.problem(m.entries.get("name"), path + ".name", "duplicate rule name '" + name + "' (first used at " + earlier
          + "); rule names must be unique across the file");
    }
    return name;
  }

  /** The one limit field the rule has, or {@code null} for none; more than one is a problem. */
  private @Nullable String limitKind(Node.MapNode m, String path) {
    List<String> kinds = new ArrayList<>();
    for (String k : m.entries.keySet()) {
      if (LimitReaders.BY_FIELD.containsKey(k)) {
        kinds.add(k);
      }
    }
    if (kinds.size() > 1) {
      r.problem(m.entries.get(kinds.get(1)), path + "." + kinds.get(1), "a rule has at most one limit, but found " + kinds);
      return null;
    }
    return kinds.isEmpty() ? null : kinds.get(0);
  }

  /** onDeny, mode, wait and onMissingIdentity. */
  private void settings(Node.MapNode m, String path, Rule.Builder b) {
    String onDeny = r.text(m.entries.get("onDeny"), path + ".onDeny");
    if (onDeny != null) {
      b.onDeny(onDeny);
    }
    Mode mode = m.entries.containsKey("mode") ? r.choice(m.entries.get("mode"), path + ".mode", Mode.class) : defaults.mode();
    if (mode != null) {
      b.mode(mode);
    }
    if (m.entries.containsKey("wait")) {
      Duration w = r.duration(m.entries.get("wait"), path + ".wait");
      if (w != null && !w.isZero()) {
        try {
          b.maxWait(w);
        } catch (IllegalArgumentException e) {
          r.problem(m.entries.get("wait"), path + ".wait", e.getMessage());
        }
      }
    }
    MissingIdentity mi = m.entries.containsKey("onMissingIdentity")
        ? r.choice(m.entries.get("onMissingIdentity"), path + ".onMissingIdentity", MissingIdentity.class) : defaults.missing();
    if (mi != null) {
      b.onMissingIdentity(mi);
    }
  }

}
