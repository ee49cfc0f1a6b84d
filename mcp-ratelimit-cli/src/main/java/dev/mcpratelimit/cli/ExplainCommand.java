package dev.mcpratelimit.cli;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Clock;
import dev.mcpratelimit.Condition;
import dev.mcpratelimit.Cost;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.cli.internal.Fmt;
import dev.mcpratelimit.cli.internal.ObservingStore;
import dev.mcpratelimit.cli.internal.VirtualClock;
import dev.mcpratelimit.policy.PolicyCli;
import dev.mcpratelimit.policy.PolicyFile;
import dev.mcpratelimit.spi.LimiterStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/** {@code explain POLICY --tool T [--user U] [--tenant T] [--args JSON]}. */
@Command(name = "explain", mixinStandardHelpOptions = true,
    description = {"Shows which rules apply to one call, in the order the engine checks them, with the key each "
        + "one counts under, its cost and its conditions, and the decision the call gets on a fresh store."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the call is granted", "1:the policy has problems", "2:bad usage (e.g. --args is not a JSON object)",
        "3:the call is denied"})
final class ExplainCommand implements Callable<Integer> {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "POLICY", description = "a .yaml, .yml or .json policy file")
  Path policy;

  static final class Target {
    @Option(names = "--tool", paramLabel = "NAME", required = true, description = "a tools/call of this tool") @Nullable String tool;
    @Option(names = "--resource", paramLabel = "URI", required = true, description = "a resources/read of this URI") @Nullable String resource;
    @Option(names = "--prompt", paramLabel = "NAME", required = true, description = "a prompts/get of this prompt") @Nullable String prompt;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  @Option(names = "--user", description = "the caller's user id") @Nullable String user;
  @Option(names = "--tenant", description = "the caller's tenant id") @Nullable String tenant;
  @Option(names = "--session", description = "the MCP session id") @Nullable String session;
  @Option(names = "--client", description = "the client name") @Nullable String client;
  @Option(names = "--attr", paramLabel = "NAME=VALUE", description = "any other identity attribute (repeatable)")
  Map<String, String> attributes = new LinkedHashMap<>();
  @Option(names = "--args", paramLabel = "JSON", description = "the call's arguments as a JSON object, e.g. '{\"amount\":500}'")
  @Nullable String args;
  @Option(names = "--at", paramLabel = "INSTANT", description = "the time of the call (ISO-8601, default now); "
      + "calendar windows and retry-after depend on it")
  @Nullable Instant at;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PolicyFile f = Policies.load(policy, spec.commandLine().getErr());
    if (f == null) {
      return Main.PROBLEMS;
    }
    Map<String, @Nullable Object> arguments = new LinkedHashMap<>();
    if (args != null) {
      try {
        Object v = JSON.readValue(args, Object.class);
        if (!(v instanceof Map)) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--args: expected a JSON object, but was " + args);
        }
        @SuppressWarnings("unchecked")
        Map<String, @Nullable Object> m = (Map<String, @Nullable Object>) v;
        arguments.putAll(m);
      } catch (JacksonException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--args: not valid JSON: " + e.getOriginalMessage());
      }
    }
    CallContext.Method method = target.tool != null ? CallContext.Method.TOOLS_CALL
        : target.resource != null ? CallContext.Method.RESOURCES_READ : CallContext.Method.PROMPTS_GET;
    String name = target.tool != null ? target.tool : target.resource != null ? target.resource : target.prompt;
    CallContext.Builder b = CallContext.of(method, name).arguments(arguments)
        .user(user).tenant(tenant).session(session).client(client);
    for (Map.Entry<String, String> e : attributes.entrySet()) {
      b.attribute(e.getKey(), e.getValue());
    }
    CallContext call = b.build();
    RateLimitPolicy p = f.policy();
    long now = at != null ? at.getEpochSecond() * 1_000_000_000L + at.getNano() : Clock.system().nanos();

    out.println("Call: " + method.wireName() + " " + name + identity(call) + (arguments.isEmpty() ? "" : "  args " + args));
    if (method == CallContext.Method.TOOLS_CALL && p.isHidden(name)) {
      out.println("The policy hides this tool: it is not listed, and a call is denied before any rule.");
    } else if (method == CallContext.Method.TOOLS_CALL && p.isHiddenFor(call)) {
      out.println("The policy hides this tool from this caller (a hide entry's when/unless): it is not listed for them,"
          + " and their call is denied before any rule.");
    } else if (p.defaultAction() == RateLimitPolicy.DefaultAction.DENY && !p.names(method, name)) {
      out.println("No rule names '" + name + "' and the policy's default is deny: the call is denied before any rule.");
    }
    List<Rule> rules = p.rulesFor(method, name);
    if (rules.isEmpty()) {
      out.println("No rule applies.");
    } else {
      out.println("Rules that apply, in order (the target's own rules, then \"*\"):");
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"#", "RULE", "SELECTOR", "LIMIT", "KEY", "COST", "MODE", "CHECK"});
      int i = 1;
      for (Rule r : rules) {
        rows.add(new String[] {Integer.toString(i++), r.name(), r.isWildcard() ? "*" : name, PolicyCli.describeLimit(r),
            key(r, call), cost(r, call), r.mode().name().toLowerCase(Locale.ROOT), conditions(r, call)});
      }
      out.print(Fmt.table(rows, new boolean[] {true, false, false, false, false, true, false, false}));
    }

    VirtualClock clock = new VirtualClock(now);
    ObservingStore store = new ObservingStore(LimiterStore.inMemory(LimiterStore.DEFAULT_MAXIMUM_KEYS, clock));
    Map<String, String> remaining = new LinkedHashMap<>();
    store.observe((rule, s, c, probe, granted) -> remaining.put(rule, probe.remaining() + " of " + s.limit() + " left"));
    RateLimiter limiter = RateLimiter.builder(p).clock(clock).store(store).build();
    Decision d = limiter.acquire(call);
    out.println();
    if (d instanceof Decision.Granted g) {
      out.println("Decision on a fresh store at " + Fmt.time(now) + ": GRANTED"
          + (remaining.isEmpty() ? "" : " (" + String.join("; ", join(remaining)) + ")"));
      for (Decision.Denied sd : g.shadowDenials()) {
        out.println("  shadow rule '" + sd.rule() + "' would have denied: " + sd.message());
      }
      g.commit();
      return Main.OK;
    }
    Decision.Denied denied = (Decision.Denied) d;
    out.println("Decision on a fresh store at " + Fmt.time(now) + ": DENIED by '" + denied.rule() + "' ("
        + denied.reason().name().toLowerCase(Locale.ROOT) + "): " + denied.message());
    out.println("  retry after: " + (denied.retryAfterNanos() < 0 ? "waiting cannot help" : Fmt.duration(denied.retryAfterNanos())));
    return Main.DENIED;
  }

  private static List<String> join(Map<String, String> m) {
    List<String> l = new ArrayList<>();
    m.forEach((k, v) -> l.add(k + ": " + v));
    return l;
  }

  private static String identity(CallContext call) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(call.attributes()).entrySet()) {
      sb.append("  ").append(e.getKey()).append('=').append(e.getValue());
    }
    return sb.toString();
  }

  private static String key(Rule r, CallContext call) {
    if (r.limit() == null) {
      return "-";
    }
    List<String> parts = new ArrayList<>();
    boolean missing = false;
    for (String dim : r.key().dimensions()) {
      String v;
      try {
        v = KeyResolvers.named(dim).resolve(call);
      } catch (IllegalArgumentException e) {
        v = "?";
      }
      if (dim.equals("global")) {
        parts.add("global");
        continue;
      }
      missing |= v == null;
      parts.add(dim + "=" + (v == null ? "(missing)" : v));
    }
    String s = String.join(" ", parts);
    if (missing) {
      s += " -> " + r.onMissingIdentity().name().toLowerCase(Locale.ROOT);
    }
    return s;
  }

  private static String cost(Rule r, CallContext call) {
    if (r.limit() == null) {
      return "-";
    }
    try {
      return Long.toString(r.cost().resolve(call));
    } catch (Cost.InvalidCostException e) {
      return "invalid (" + e.getMessage() + ")";
    }
  }

  private static String conditions(Rule r, CallContext call) {
    if (r.conditions().isEmpty()) {
      return "-";
    }
    List<String> l = new ArrayList<>();
    for (Condition c : r.conditions()) {
      l.add(c.path() + " " + c.op().text() + " " + c.value() + (c.test(call.arguments()) ? ": holds" : ": FAILS"));
    }
    return String.join("; ", l);
  }
}
