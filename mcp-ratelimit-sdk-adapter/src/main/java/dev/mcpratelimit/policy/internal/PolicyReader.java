package dev.mcpratelimit.policy.internal;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Condition;
import dev.mcpratelimit.Cost;
import dev.mcpratelimit.HideRule;
import dev.mcpratelimit.KeyResolver;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.MissingIdentity;
import dev.mcpratelimit.Mode;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.mcp.DenialMode;
import dev.mcpratelimit.policy.PolicyException;
import dev.mcpratelimit.policy.PolicyFile;
import dev.mcpratelimit.policy.Problem;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Turns a parsed document into a policy, collecting every problem before failing. */
public final class PolicyReader {
  private static final Set<String> TOP = Set.of("version", "description", "defaults", "default", "hide", "tools",
      "resources", "prompts", "failureMode", "edge");
  private static final Set<String> DEFAULTS = Set.of("key", "onMissingIdentity", "denial", "mode");
  private static final Set<String> TARGET = Set.of("cost", "rules");
  private static final Set<String> RULE = Set.of("name", "rateLimit", "tokenBucket", "slidingWindow", "quota",
      "concurrency", "key", "cost", "conditions", "when", "onDeny", "mode", "wait", "onMissingIdentity", "exact");
  private static final Set<String> HIDE = Set.of("tool", "when", "unless");
  private static final Set<String> LIMIT_KINDS = Set.of("rateLimit", "tokenBucket", "slidingWindow", "quota", "concurrency");
  private static final Set<String> BUCKET = Set.of("capacity", "refill");
  private static final Set<String> QUOTA = Set.of("limit", "window", "increment", "incrementFrom");
  private static final Set<String> CONDITION = Set.of("path", "op", "value");
  private static final Set<String> COST = Set.of("from", "roundUp");
  /** Key dimension of the edge section: the client's IP address, as the servlet container sees it. */
  public static final String EDGE_ADDRESS = "address";
  private static final Pattern RATE = Pattern.compile("\\s*(\\d+)\\s*/\\s*(\\S+)\\s*");
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  private final String source;
  private final List<Problem> problems = new ArrayList<>();
  private final Map<String, String> ruleNames = new HashMap<>();
  private List<String> defaultKey = List.of("user");
  private MissingIdentity defaultMissing = MissingIdentity.SHARED;
  private Mode defaultMode = Mode.ENFORCE;
  /** While reading the {@code edge} section: the {@code address} key dimension is allowed. */
  private boolean inEdge;

  private PolicyReader(String source) {
    this.source = source;
  }

  /**
   * @param root the parsed document
   * @param source its name
   * @return the policy file
   * @throws PolicyException listing every problem
   */
  public static PolicyFile read(Node root, String source) {
    PolicyReader r = new PolicyReader(source);
    PolicyFile f = r.top(root);
    if (!r.problems.isEmpty() || f == null) {
      throw new PolicyException(r.problems.isEmpty()
          ? List.of(new Problem(source, root.line, root.column, "", "no policy")) : r.problems);
    }
    return f;
  }

  // ------------------------------------------------------------------ helpers

  private void problem(Node at, String path, String message) {
    problems.add(new Problem(source, at.line, at.column, path, message));
  }

  private Node.@Nullable MapNode map(Node n, String path, Set<String> allowed) {
    if (!(n instanceof Node.MapNode m)) {
      problem(n, path, "expected an object, but found " + n.kind());
      return null;
    }
    for (Map.Entry<String, int[]> e : m.keyPositions.entrySet()) {
      if (!allowed.contains(e.getKey())) {
        String hint = suggest(e.getKey(), allowed);
        problems.add(new Problem(source, e.getValue()[0], e.getValue()[1], join(path, e.getKey()),
            "unknown field '" + e.getKey() + "'" + (hint == null ? "" : " (did you mean '" + hint + "'?)")
                + "; expected one of " + new java.util.TreeSet<>(allowed)));
      }
    }
    return m;
  }

  static @Nullable String suggest(String word, Set<String> options) {
    String best = null;
    int bestD = Integer.MAX_VALUE;
    for (String o : options) {
      int d = distance(word.toLowerCase(Locale.ROOT), o.toLowerCase(Locale.ROOT));
      if (d < bestD) {
        bestD = d;
        best = o;
      }
    }
    return bestD <= Math.max(2, word.length() / 3) ? best : null;
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int c = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + c);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  private static String join(String path, String field) {
    return path.isEmpty() ? field : path + "." + field;
  }

  private @Nullable String text(@Nullable Node n, String path) {
    if (n == null) {
      return null;
    }
    if (n instanceof Node.Scalar s && s.value instanceof String str) {
      return str;
    }
    problem(n, path, "expected text, but found " + n.kind());
    return null;
  }

  private @Nullable Long positive(@Nullable Node n, String path) {
    if (n == null) {
      return null;
    }
    if (n instanceof Node.Scalar s && s.value instanceof Number num) {
      BigDecimal d = new BigDecimal(num.toString());
      if (d.signum() <= 0) {
        problem(n, path, "expected a positive whole number, but found " + num);
        return null;
      }
      if (d.stripTrailingZeros().scale() > 0 || d.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
        problem(n, path, "expected a whole number up to " + Long.MAX_VALUE + ", but found " + num);
        return null;
      }
      return d.longValue();
    }
    problem(n, path, "expected a positive whole number, but found " + n.kind());
    return null;
  }

  private <E extends Enum<E>> @Nullable E choice(@Nullable Node n, String path, Class<E> type) {
    String t = text(n, path);
    if (t == null || n == null) {
      return null;
    }
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(t)) {
        return e;
      }
    }
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      names.add(e.name().toLowerCase(Locale.ROOT));
    }
    problem(n, path, "expected one of " + names + ", but found '" + t + "'");
    return null;
  }

  /** "10s", "500ms", "2m", "1h", "1d", or a unit word: second, minute, hour, day. */
  private @Nullable Duration duration(@Nullable Node n, String path) {
    String t = text(n, path);
    if (t == null || n == null) {
      return null;
    }
    Duration d = parseDuration(t);
    if (d == null || d.isZero()) {
      problem(n, path, "expected a positive duration such as 500ms, 10s, 5m, 1h, 1d (or second, minute, hour, day), but found '" + t + "'");
    }
    return d;
  }

  static @Nullable Duration parseDuration(String t) {
    String s = t.trim().toLowerCase(Locale.ROOT);
    switch (s) {
      case "second": return Duration.ofSeconds(1);
      case "minute": return Duration.ofMinutes(1);
      case "hour": return Duration.ofHours(1);
      case "day": return Duration.ofDays(1);
      default:
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
          return null;
        }
        long v;
        try {
          v = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
          return null;
        }
        try {
          switch (m.group(2)) {
            case "ms": return Duration.ofMillis(v);
            case "s": return Duration.ofSeconds(v);
            case "m": return Duration.ofMinutes(v);
            case "h": return Duration.ofHours(v);
            default: return Duration.ofDays(v);
          }
        } catch (ArithmeticException e) {
          return null;
        }
    }
  }

  /** "N/unit" → {N, unit text}. */
  private @Nullable Object[] rate(@Nullable Node n, String path, String expected) {
    String t = text(n, path);
    if (t == null || n == null) {
      return null;
    }
    Matcher m = RATE.matcher(t);
    if (!m.matches()) {
      problem(n, path, "expected " + expected + ", but found '" + t + "'");
      return null;
    }
    long count;
    try {
      count = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      problem(n, path, "the count in '" + t + "' is too large");
      return null;
    }
    if (count <= 0) {
      problem(n, path, "the count must be positive, but found '" + t + "'");
      return null;
    }
    return new Object[] {count, m.group(2)};
  }

  private @Nullable WindowUnit calendarUnit(String unit) {
    switch (unit.toLowerCase(Locale.ROOT)) {
      case "minute": return WindowUnit.MINUTE;
      case "hour": return WindowUnit.HOUR;
      case "day": return WindowUnit.DAY;
      default: return null;
    }
  }

  private @Nullable List<String> keyList(@Nullable Node n, String path) {
    if (n == null) {
      return null;
    }
    List<Node> items;
    if (n instanceof Node.ListNode l) {
      items = l.items;
    } else {
      items = List.of(n);
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      String p = n instanceof Node.ListNode ? path + "[" + i + "]" : path;
      String t = text(items.get(i), p);
      if (t != null) {
        try {
          keyResolver(t);
          out.add(t);
        } catch (IllegalArgumentException e) {
          problem(items.get(i), p, e.getMessage());
        }
      }
    }
    if (out.isEmpty() && problems.isEmpty()) {
      problem(n, path, "expected at least one key dimension");
    }
    return out;
  }

  /** A key dimension by name; in the edge section also {@code address}, the client's IP address. */
  private KeyResolver keyResolver(String name) {
    if (inEdge && EDGE_ADDRESS.equals(name)) {
      return KeyResolvers.attribute(EDGE_ADDRESS);
    }
    return KeyResolvers.named(name);
  }

  // ------------------------------------------------------------------ the document

  private @Nullable PolicyFile top(Node root) {
    Node.MapNode m = map(root, "", TOP);
    if (m == null) {
      return null;
    }
    Node version = m.entries.get("version");
    if (version instanceof Node.Scalar s && !"1".equals(String.valueOf(s.value))) {
      problem(version, "version", "expected version 1, but found " + s.value);
    } else if (version != null && !(version instanceof Node.Scalar)) {
      problem(version, "version", "expected version 1, but found " + version.kind());
    }
    RateLimitPolicy.Builder policy = RateLimitPolicy.builder();
    String description = text(m.entries.get("description"), "description");
    if (description != null) {
      policy.description(description);
    }
    DenialMode denial = DenialMode.RESULT;
    Node defaults = m.entries.get("defaults");
    if (defaults != null) {
      Node.MapNode d = map(defaults, "defaults", DEFAULTS);
      if (d != null) {
        List<String> k = keyList(d.entries.get("key"), "defaults.key");
        if (k != null && !k.isEmpty()) {
          defaultKey = k;
        }
        MissingIdentity mi = choice(d.entries.get("onMissingIdentity"), "defaults.onMissingIdentity", MissingIdentity.class);
        if (mi != null) {
          defaultMissing = mi;
        }
        Mode mode = choice(d.entries.get("mode"), "defaults.mode", Mode.class);
        if (mode != null) {
          defaultMode = mode;
        }
        DenialMode dm = choice(d.entries.get("denial"), "defaults.denial", DenialMode.class);
        if (dm != null) {
          denial = dm;
        }
      }
    }
    Node def = m.entries.get("default");
    if (def != null) {
      RateLimitPolicy.DefaultAction a = choice(def, "default", RateLimitPolicy.DefaultAction.class);
      if (a != null) {
        policy.defaultAction(a);
      }
    }
    Node failure = m.entries.get("failureMode");
    if (failure != null) {
      String f = text(failure, "failureMode");
      if ("open".equals(f)) {
        policy.failureMode(RateLimitPolicy.FailureMode.FAIL_OPEN);
      } else if ("closed".equals(f)) {
        policy.failureMode(RateLimitPolicy.FailureMode.FAIL_CLOSED);
      } else if (f != null) {
        problem(failure, "failureMode", "expected open or closed, but found '" + f + "'");
      }
    }
    Node hide = m.entries.get("hide");
    if (hide != null) {
      if (hide instanceof Node.ListNode l) {
        for (int i = 0; i < l.items.size(); i++) {
          HideRule h = hideEntry(l.items.get(i), "hide[" + i + "]");
          if (h != null) {
            policy.hide(h);
          }
        }
      } else {
        problem(hide, "hide", "expected a list of tool names or {tool, when, unless}, but found " + hide.kind());
      }
    }
    section(m.entries.get("tools"), "tools", CallContext.Method.TOOLS_CALL, policy);
    section(m.entries.get("resources"), "resources", CallContext.Method.RESOURCES_READ, policy);
    section(m.entries.get("prompts"), "prompts", CallContext.Method.PROMPTS_GET, policy);
    inEdge = true;
    section(m.entries.get("edge"), "edge", CallContext.Method.HTTP_REQUEST, policy);
    inEdge = false;
    if (!problems.isEmpty()) {
      return null;
    }
    return new PolicyFile(source, policy.build(), denial);
  }

  /** A hide entry: a tool name, or {@code {tool, when, unless}} with identity conditions. */
  private @Nullable HideRule hideEntry(Node n, String path) {
    if (n instanceof Node.Scalar) {
      String t = text(n, path);
      return t == null ? null : HideRule.always(t);
    }
    Node.MapNode m = map(n, path, HIDE);
    if (m == null) {
      return null;
    }
    String tool = text(m.entries.get("tool"), path + ".tool");
    if (!m.entries.containsKey("tool")) {
      problem(n, path, "a hide entry needs the tool it hides");
    }
    int before = problems.size();
    List<Condition> when = conditions(m.entries.get("when"), path + ".when");
    List<Condition> unless = conditions(m.entries.get("unless"), path + ".unless");
    if (tool == null || problems.size() > before) {
      return null;
    }
    try {
      return HideRule.of(tool, when, unless);
    } catch (IllegalArgumentException e) {
      problem(n, path, e.getMessage());
      return null;
    }
  }

  private List<Condition> conditions(@Nullable Node n, String path) {
    List<Condition> out = new ArrayList<>();
    if (n == null) {
      return out;
    }
    if (n instanceof Node.ListNode l) {
      for (int i = 0; i < l.items.size(); i++) {
        Condition c = condition(l.items.get(i), path + "[" + i + "]");
        if (c != null) {
          out.add(c);
        }
      }
    } else {
      problem(n, path, "expected a list of {path, op, value}, but found " + n.kind());
    }
    return out;
  }

  private void section(@Nullable Node n, String path, CallContext.Method method, RateLimitPolicy.Builder policy) {
    if (n == null) {
      return;
    }
    Node.MapNode m = n instanceof Node.MapNode mm ? mm : null;
    if (m == null) {
      problem(n, path, "expected an object of target names, but found " + n.kind());
      return;
    }
    for (Map.Entry<String, Node> e : m.entries.entrySet()) {
      String target = e.getKey();
      String tpath = path + "." + target;
      Node.MapNode t = map(e.getValue(), tpath, TARGET);
      if (t == null) {
        continue;
      }
      Cost toolCost = t.entries.containsKey("cost") ? cost(t.entries.get("cost"), tpath + ".cost") : null;
      Node rules = t.entries.get("rules");
      if (!(rules instanceof Node.ListNode l)) {
        problem(rules == null ? t : rules, tpath + ".rules", "expected a list of rules" + (rules == null ? "" : ", but found " + rules.kind()));
        continue;
      }
      for (int i = 0; i < l.items.size(); i++) {
        Rule r = rule(l.items.get(i), tpath + ".rules[" + i + "]", target, method, toolCost);
        if (r != null) {
          policy.rule(r);
        }
      }
    }
  }

  private @Nullable Cost cost(@Nullable Node n, String path) {
    if (n == null) {
      return null;
    }
    if (n instanceof Node.Scalar s && s.value instanceof Number num) {
      BigDecimal d = new BigDecimal(num.toString());
      if (d.signum() < 0 || d.stripTrailingZeros().scale() > 0 || d.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
        problem(n, path, "expected a whole number of 0 or more, but found " + num);
        return null;
      }
      return Cost.of(d.longValue());
    }
    Node.MapNode m = map(n, path, COST);
    if (m == null) {
      return null;
    }
    String from = text(m.entries.get("from"), path + ".from");
    if (from == null) {
      if (!m.entries.containsKey("from")) {
        problem(n, path, "expected a number or {from: args.<path>}");
      }
      return null;
    }
    Node ru = m.entries.get("roundUp");
    boolean roundUp = ru instanceof Node.Scalar s && Boolean.TRUE.equals(s.value);
    try {
      return roundUp ? Cost.fromArgumentRoundingUp(from) : Cost.fromArgument(from);
    } catch (IllegalArgumentException e) {
      problem(m.entries.get("from"), path + ".from", e.getMessage());
      return null;
    }
  }

  private @Nullable Rule rule(Node n, String path, String target, CallContext.Method method, @Nullable Cost toolCost) {
    int before = problems.size();
    Node.MapNode m = map(n, path, RULE);
    if (m == null) {
      return null;
    }
    String name = text(m.entries.get("name"), path + ".name");
    if (name == null) {
      if (!m.entries.containsKey("name")) {
        problem(n, path, "a rule needs a name");
      }
      return null;
    }
    if (name.isBlank()) {
      problem(m.entries.get("name"), path + ".name", "a rule name must not be blank");
      return null;
    }
    String earlier = ruleNames.putIfAbsent(name, path);
    if (earlier != null) {
      problem(m.entries.get("name"), path + ".name", "duplicate rule name '" + name + "' (first used at " + earlier
          + "); rule names must be unique across the file");
    }
    Rule.Builder b = Rule.builder(name).targets(target).methods(method);
    List<String> kinds = new ArrayList<>();
    for (String k : m.entries.keySet()) {
      if (LIMIT_KINDS.contains(k)) {
        kinds.add(k);
      }
    }
    if (kinds.size() > 1) {
      problem(m.entries.get(kinds.get(1)), path + "." + kinds.get(1), "a rule has at most one limit, but found " + kinds);
    }
    // a tool-level cost weighs rate limits; a concurrency rule counts calls in flight
    Cost cost = m.entries.containsKey("concurrency") ? null : toolCost;
    if (m.entries.containsKey("cost")) {
      cost = cost(m.entries.get("cost"), path + ".cost");
    }
    LimitSpec spec = null;
    if (kinds.size() == 1) {
      String kind = kinds.get(0);
      Node v = m.entries.get(kind);
      String kpath = path + "." + kind;
      switch (kind) {
        case "rateLimit": {
          Object[] r = rate(v, kpath, "N/minute, N/hour or N/day");
          if (r != null) {
            WindowUnit u = calendarUnit((String) r[1]);
            if (u == null) {
              problem(v, kpath, "rateLimit is a calendar window: expected N/minute, N/hour or N/day, but found '"
                  + r[0] + "/" + r[1] + "' (use slidingWindow or tokenBucket for other periods)");
            } else {
              spec = spec(v, kpath, () -> LimitSpec.fixedWindow((Long) r[0], u));
            }
          }
          break;
        }
        case "slidingWindow": {
          Object[] r = rate(v, kpath, "N/duration such as 100/10m");
          if (r != null) {
            Duration d = parseDuration((String) r[1]);
            if (d == null || d.isZero()) {
              problem(v, kpath, "expected N/duration such as 100/10m, but found a bad duration '" + r[1] + "'");
            } else {
              Node ex = m.entries.get("exact");
              boolean exact = ex instanceof Node.Scalar s && Boolean.TRUE.equals(s.value);
              spec = spec(v, kpath, () -> exact ? LimitSpec.exactSlidingWindow((Long) r[0], d) : LimitSpec.slidingWindow((Long) r[0], d));
            }
          }
          break;
        }
        case "tokenBucket": {
          Node.MapNode tb = map(v, kpath, BUCKET);
          if (tb != null) {
            Long capacity = positive(tb.entries.get("capacity"), kpath + ".capacity");
            Object[] r = rate(tb.entries.get("refill"), kpath + ".refill", "N/unit such as 5/second or 10/1m");
            if (!tb.entries.containsKey("capacity")) {
              problem(v, kpath, "tokenBucket needs a capacity");
            }
            if (!tb.entries.containsKey("refill")) {
              problem(v, kpath, "tokenBucket needs a refill such as 5/second");
            }
            if (capacity != null && r != null) {
              Duration d = parseDuration((String) r[1]);
              if (d == null || d.isZero()) {
                problem(tb.entries.get("refill"), kpath + ".refill", "expected N/unit such as 5/second or 10/1m, but found a bad period '" + r[1] + "'");
              } else {
                spec = spec(v, kpath, () -> LimitSpec.tokenBucket(capacity, (Long) r[0], d));
              }
            }
          }
          break;
        }
        case "quota": {
          Node.MapNode q = map(v, kpath, QUOTA);
          if (q != null) {
            Long limit = positive(q.entries.get("limit"), kpath + ".limit");
            if (!q.entries.containsKey("limit")) {
              problem(v, kpath, "quota needs a limit");
            }
            Node w = q.entries.get("window");
            WindowUnit unit = null;
            if (w == null) {
              problem(v, kpath, "quota needs a window: minute, hour or day");
            } else {
              String wt = text(w, kpath + ".window");
              if (wt != null) {
                unit = calendarUnit(wt);
                if (unit == null) {
                  problem(w, kpath + ".window", "expected minute, hour or day, but found '" + wt + "'");
                }
              }
            }
            if (q.entries.containsKey("increment") && q.entries.containsKey("incrementFrom")) {
              problem(q.entries.get("incrementFrom"), kpath + ".incrementFrom", "use either increment or incrementFrom, not both");
            } else if (q.entries.containsKey("increment")) {
              Long inc = positive(q.entries.get("increment"), kpath + ".increment");
              if (inc != null) {
                cost = Cost.of(inc);
              }
            } else if (q.entries.containsKey("incrementFrom")) {
              String from = text(q.entries.get("incrementFrom"), kpath + ".incrementFrom");
              if (from != null) {
                try {
                  cost = Cost.fromArgument(from);
                } catch (IllegalArgumentException e) {
                  problem(q.entries.get("incrementFrom"), kpath + ".incrementFrom", e.getMessage());
                }
              }
            }
            WindowUnit u = unit;
            if (limit != null && u != null) {
              spec = spec(v, kpath, () -> LimitSpec.fixedWindow(limit, u));
            }
          }
          break;
        }
        default: { // concurrency
          Long c = positive(v, kpath);
          if (c != null) {
            spec = LimitSpec.concurrency(c);
          }
        }
      }
      if (spec != null) {
        b.limit(spec);
      }
    }
    if (cost != null) {
      b.cost(cost);
    }
    List<String> key = m.entries.containsKey("key") ? keyList(m.entries.get("key"), path + ".key") : defaultKey;
    if (key != null && !key.isEmpty()) {
      List<KeyResolver> rs = new ArrayList<>();
      for (String k : new LinkedHashSet<>(key)) {
        rs.add(keyResolver(k));
      }
      b.key(KeyResolvers.composite(rs));
    }
    Node conds = m.entries.get("conditions");
    for (Condition c : conditions(conds, path + ".conditions")) {
      b.condition(c);
    }
    for (Condition c : conditions(m.entries.get("when"), path + ".when")) {
      b.when(c);
    }
    String onDeny = text(m.entries.get("onDeny"), path + ".onDeny");
    if (onDeny != null) {
      b.onDeny(onDeny);
    }
    Mode mode = m.entries.containsKey("mode") ? choice(m.entries.get("mode"), path + ".mode", Mode.class) : defaultMode;
    if (mode != null) {
      b.mode(mode);
    }
    if (m.entries.containsKey("wait")) {
      Duration w = duration(m.entries.get("wait"), path + ".wait");
      if (w != null && !w.isZero()) {
        try {
          b.maxWait(w);
        } catch (IllegalArgumentException e) {
          problem(m.entries.get("wait"), path + ".wait", e.getMessage());
        }
      }
    }
    MissingIdentity mi = m.entries.containsKey("onMissingIdentity")
        ? choice(m.entries.get("onMissingIdentity"), path + ".onMissingIdentity", MissingIdentity.class) : defaultMissing;
    if (mi != null) {
      b.onMissingIdentity(mi);
    }
    if (kinds.isEmpty() && conds == null) {
      problem(n, path, "rule '" + name + "' has neither a limit (rateLimit, tokenBucket, slidingWindow, quota, concurrency) nor conditions");
    }
    if (problems.size() > before) {
      return null;
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      problem(n, path, e.getMessage());
      return null;
    }
  }

  private @Nullable LimitSpec spec(Node at, String path, java.util.function.Supplier<LimitSpec> make) {
    try {
      return make.get();
    } catch (IllegalArgumentException e) {
      problem(at, path, e.getMessage());
      return null;
    }
  }

  private @Nullable Condition condition(Node n, String path) {
    Node.MapNode m = map(n, path, CONDITION);
    if (m == null) {
      return null;
    }
    String p = text(m.entries.get("path"), path + ".path");
    String op = text(m.entries.get("op"), path + ".op");
    if (!m.entries.containsKey("path")) {
      problem(n, path, "a condition needs a path, e.g. args.amount");
    }
    if (!m.entries.containsKey("op")) {
      problem(n, path, "a condition needs an op: eq, neq, in, not_in, lt, lte, gt, gte, regex, contains or exists");
    }
    if (p == null || op == null) {
      return null;
    }
    Condition.Op o;
    try {
      o = Condition.Op.fromText(op);
    } catch (IllegalArgumentException e) {
      String hint = suggest(op, Set.of("eq", "neq", "in", "not_in", "lt", "lte", "gt", "gte", "regex", "contains", "exists"));
      problem(m.entries.get("op"), path + ".op", e.getMessage() + (hint == null ? "" : " (did you mean '" + hint + "'?)"));
      return null;
    }
    Node v = m.entries.get("value");
    Object value = v == null ? (o == Condition.Op.EXISTS ? Boolean.TRUE : null) : plain(v);
    if (v == null && o != Condition.Op.EXISTS) {
      problem(n, path, "a '" + op + "' condition needs a value");
      return null;
    }
    try {
      return Condition.of(p, o, value);
    } catch (IllegalArgumentException e) {
      problem(v == null ? n : v, path + (v == null ? "" : ".value"), e.getMessage());
      return null;
    }
  }

  private static @Nullable Object plain(Node n) {
    if (n instanceof Node.Scalar s) {
      return s.value;
    }
    if (n instanceof Node.ListNode l) {
      List<Object> out = new ArrayList<>();
      for (Node i : l.items) {
        out.add(plain(i));
      }
      return out;
    }
    Map<String, Object> out = new HashMap<>();
    for (Map.Entry<String, Node> e : ((Node.MapNode) n).entries.entrySet()) {
      out.put(e.getKey(), plain(e.getValue()));
    }
    return out;
  }
}
