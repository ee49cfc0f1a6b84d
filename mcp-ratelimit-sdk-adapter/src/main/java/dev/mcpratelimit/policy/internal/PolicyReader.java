package dev.mcpratelimit.policy.internal;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Condition;
import dev.mcpratelimit.HideRule;
import dev.mcpratelimit.MissingIdentity;
import dev.mcpratelimit.Mode;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.mcp.DenialMode;
import dev.mcpratelimit.policy.PolicyException;
import dev.mcpratelimit.policy.PolicyFile;
import dev.mcpratelimit.policy.Problem;
import dev.mcpratelimit.policy.StoreSection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Turns a parsed document into a policy, collecting every problem before failing: the top level
 * and {@code defaults} here, rules in {@link RuleReader}, each limit kind in {@link LimitReaders}.
 */
public final class PolicyReader {
  private static final Set<String> TOP = Set.of("version", "description", "defaults", "unlisted", "default", "hide",
      "tools", "resources", "prompts", "failureMode", "store", "edge");
  private static final Set<String> DEFAULTS = Set.of("key", "onMissingIdentity", "denial", "mode");
  private static final Set<String> TARGET = Set.of("cost", "rules");
  private static final Set<String> HIDE = Set.of("tool", "when", "unless");
  /** Key dimension of the edge section: the client's IP address, as the servlet container sees it. */
  public static final String EDGE_ADDRESS = RuleReader.EDGE_ADDRESS;

  private final Reading r;

  private PolicyReader(String source) {
    this.r = new Reading(source);
  }

  /**
   * @param root the parsed document
   * @param source its name
   * @return the policy file, with its warnings
   * @throws PolicyException listing every problem
   */
  public static PolicyFile read(Node root, String source) {
    PolicyReader reader = new PolicyReader(source);
    PolicyFile f;
    try {
      f = reader.top(root);
    } catch (RuntimeException e) {
      // a reader bug must still be a located policy error, never a stack trace
      reader.r.problem(root, "", "cannot read the policy: " + e);
      f = null;
    }
    if (!reader.r.problems.isEmpty() || f == null) {
      throw new PolicyException(reader.r.problems.isEmpty()
          ? List.of(new Problem(source, root.line, root.column, "", "no policy")) : reader.r.problems);
    }
    return f;
  }

  private @Nullable PolicyFile top(Node root) {
    Node.MapNode m = r.map(root, "", TOP);
    if (m == null) {
      return null;
    }
    version(m);
    RateLimitPolicy.Builder policy = RateLimitPolicy.builder();
    String description = r.text(m.entries.get("description"), "description");
    if (description != null) {
      policy.description(description);
    }
    DenialMode[] denial = {DenialMode.RESULT};
    RuleReader rules = new RuleReader(r, defaults(m.entries.get("defaults"), denial));
    unlisted(m, policy);
    Node failure = m.entries.get("failureMode");
    if (failure != null) {
      RateLimitPolicy.FailureMode fm = r.choice(failure, "failureMode", RateLimitPolicy.FailureMode.class,
          f -> f.name().substring("FAIL_".length()).toLowerCase(Locale.ROOT));
      if (fm != null) {
        policy.failureMode(fm);
      }
    }
    Node hide = m.entries.get("hide");
    if (hide instanceof Node.ListNode l) {
      for (int i = 0; i < l.items.size(); i++) {
        HideRule h = hideEntry(l.items.get(i), "hide[" + i + "]");
        if (h != null) {
          policy.hide(h);
        }
      }
    } else if (hide != null) {
      r.problem(hide, "hide", "expected a list of tool names or {tool, when, unless}, but found " + hide.kind());
    }
    section(m.entries.get("tools"), "tools", CallContext.Method.TOOLS_CALL, policy, rules);
    section(m.entries.get("resources"), "resources", CallContext.Method.RESOURCES_READ, policy, rules);
    section(m.entries.get("prompts"), "prompts", CallContext.Method.PROMPTS_GET, policy, rules);
    // the edge section's rules apply to HTTP requests; their key may also use 'address'
    section(m.entries.get("edge"), "edge", CallContext.Method.HTTP_REQUEST, policy, rules);
    StoreSection store = store(m.entries.get("store"));
    if (!r.problems.isEmpty()) {
      return null;
    }
    return new PolicyFile(r.source, policy.build(), denial[0], r.warnings, store);
  }

  /** A hide entry: a tool name, or {@code {tool, when, unless}} with identity conditions. */
  private @Nullable HideRule hideEntry(Node n, String path) {
    if (n instanceof Node.Scalar) {
      String t = r.text(n, path);
      return t == null ? null : HideRule.always(t);
    }
    Node.MapNode m = r.map(n, path, HIDE);
    if (m == null) {
      return null;
    }
    String tool = r.text(m.entries.get("tool"), path + ".tool");
    if (!m.entries.containsKey("tool")) {
      r.problem(n, path, "a hide entry needs the tool it hides");
    }
    int before = r.problems.size();
    List<Condition> when = ConditionReader.list(r, m.entries.get("when"), path + ".when");
    List<Condition> unless = ConditionReader.list(r, m.entries.get("unless"), path + ".unless");
    if (tool == null || r.problems.size() > before) {
      return null;
    }
    try {
      return HideRule.of(tool, when, unless);
    } catch (IllegalArgumentException e) {
      r.problem(n, path, e.getMessage());
      return null;
    }
  }

  /** {@code store: { <kind>: <location> }}: one entry, its value a non-empty text. */
  private @Nullable StoreSection store(@Nullable Node n) {
    if (n == null) {
      return null;
    }
    if (!(n instanceof Node.MapNode m) || m.entries.size() != 1) {
      r.problem(n, "store", "expected one entry such as {file: ratelimit.db} or {jdbc: <JDBC URL>}, but found "
          + Reading.describe(n));
      return null;
    }
    Map.Entry<String, Node> e = m.entries.entrySet().iterator().next();
    String location = r.text(e.getValue(), "store." + e.getKey());
    if (location == null) {
      return null;
    }
    if (location.isBlank()) {
      r.problem(e.getValue(), "store." + e.getKey(), "must not be empty");
      return null;
    }
    return new StoreSection(e.getKey(), location);
  }

  private void version(Node.MapNode m) {
    Node version = m.entries.get("version");
    if (version == null) {
      r.warning(m, "version", "no version: add 'version: 1' (read as version 1)");
    } else if (!(version instanceof Node.Scalar s) || !"1".equals(String.valueOf(s.value))) {
      r.problem(version, "version", "expected version 1, but found " + Reading.describe(version));
    }
  }

  /** {@code unlisted: allow | deny}, or its deprecated spelling {@code default}. */
  private void unlisted(Node.MapNode m, RateLimitPolicy.Builder policy) {
    Node unlisted = m.entries.get("unlisted");
    Node old = m.entries.get("default");
    String path = "unlisted";
    if (old != null) {
      if (unlisted != null) {
        r.problem(r.keyAt(m, "default"), "default", "'default' is the deprecated spelling of 'unlisted': give only 'unlisted'");
        return;
      }
      r.warning(r.keyAt(m, "default"), "default", "'default' is deprecated (easily confused with 'defaults'): write 'unlisted: "
          + (old instanceof Node.Scalar s ? s.value : "allow") + "'");
      unlisted = old;
      path = "default";
    }
    if (unlisted != null) {
      RateLimitPolicy.DefaultAction a = r.choice(unlisted, path, RateLimitPolicy.DefaultAction.class);
      if (a != null) {
        policy.defaultAction(a);
      }
    }
  }

  private RuleReader.Defaults defaults(@Nullable Node n, DenialMode[] denial) {
    RuleReader.Defaults none = RuleReader.Defaults.NONE;
    if (n == null) {
      return none;
    }
    Node.MapNode d = r.map(n, "defaults", DEFAULTS);
    if (d == null) {
      return none;
    }
    List<String> k = RuleReader.keyList(r, d.entries.get("key"), "defaults.key", false);
    MissingIdentity mi = r.choice(d.entries.get("onMissingIdentity"), "defaults.onMissingIdentity", MissingIdentity.class);
    Mode mode = r.choice(d.entries.get("mode"), "defaults.mode", Mode.class);
    DenialMode dm = r.choice(d.entries.get("denial"), "defaults.denial", DenialMode.class);
    if (dm != null) {
      denial[0] = dm;
    }
    return new RuleReader.Defaults(k != null && !k.isEmpty() ? k : none.key(), mi != null ? mi : none.missing(),
        mode != null ? mode : none.mode());
  }

  private void section(@Nullable Node n, String path, CallContext.Method method, RateLimitPolicy.Builder policy,
      RuleReader rules) {
    if (n == null) {
      return;
    }
    if (!(n instanceof Node.MapNode m)) {
      r.problem(n, path, "expected an object of target names, but found " + n.kind());
      return;
    }
    for (Map.Entry<String, Node> e : m.entries.entrySet()) {
      String target = e.getKey();
      String tpath = path + "." + target;
      Node.MapNode t = r.map(e.getValue(), tpath, TARGET);
      if (t == null) {
        continue;
      }
      CostReader.Read cost = CostReader.read(r, t.entries.get("cost"), tpath + ".cost");
      Node list = t.entries.get("rules");
      if (!(list instanceof Node.ListNode l)) {
        r.problem(list == null ? t : list, tpath + ".rules", "expected a list of rules" + (list == null ? "" : ", but found " + list.kind()));
        continue;
      }
      for (int i = 0; i < l.items.size(); i++) {
        Rule rule = rules.read(l.items.get(i), tpath + ".rules[" + i + "]", target, method, cost);
        if (rule != null) {
          policy.rule(rule);
        }
      }
    }
  }
}
