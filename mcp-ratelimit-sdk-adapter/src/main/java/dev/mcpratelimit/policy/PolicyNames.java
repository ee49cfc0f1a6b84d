package dev.mcpratelimit.policy;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.policy.internal.Suggest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Does the policy name what the server has? Finds the rules (and {@code hide} entries) that name a
 * tool, resource or prompt the server does not register — most often a typo such as
 * {@code create_isue}, which would otherwise leave {@code create_issue} unlimited without a word.
 *
 * <p>One check for both places that run it: {@link dev.mcpratelimit.mcp.McpRateLimiting} when it
 * wraps a server's specifications, and the command-line {@code check POLICY --tools a,b,c}.
 * Wildcard ({@code "*"}) selectors name nothing and are never reported.
 */
public final class PolicyNames {
  private PolicyNames() {}

  /**
   * A name the policy uses that the server does not register.
   *
   * @param rule the rule naming it, or {@code null} for an entry of the policy's {@code hide} list
   * @param method the kind of name (a tool, a resource URI, a prompt)
   * @param name the name as the policy spells it
   * @param suggestion the closest registered name when one is close (edit distance), else {@code null}
   */
  public record Unregistered(@Nullable String rule, CallContext.Method method, String name, @Nullable String suggestion) {
    /** Validates. */
    public Unregistered {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(name, "name");
    }

    /**
     * @return one line, e.g. {@code rule 'burst' names tool 'create_isue', which the server does
     *     not register (did you mean 'create_issue'?)}
     */
    public String message() {
      return (rule == null ? "hide" : "rule '" + rule + "'") + " names " + kind(method) + " '" + name
          + "', which the server does not register" + (suggestion == null ? "" : " (did you mean '" + suggestion + "'?)");
    }

    @Override
    public String toString() {
      return message();
    }
  }

  /**
   * Checks one kind of name.
   *
   * @param policy the policy
   * @param method which names: {@code TOOLS_CALL} (tool names, including the {@code hide} list),
   *     {@code RESOURCES_READ} (resource URIs; a registered URI template such as
   *     {@code file:///{path}} registers every URI it matches) or {@code PROMPTS_GET}
   * @param registered the names the server registers for that method
   * @return every name the policy uses for that method which is not registered, in policy order
   */
  public static List<Unregistered> unregistered(RateLimitPolicy policy, CallContext.Method method,
      Collection<String> registered) {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(method, "method");
    List<Pattern> templates = new ArrayList<>();
    List<String> plain = new ArrayList<>();
    for (String r : registered) {
      if (method == CallContext.Method.RESOURCES_READ && r.contains("{")) {
        templates.add(template(r));
      }
      plain.add(r);
    }
    List<Unregistered> out = new ArrayList<>();
    for (Rule rule : policy.rules()) {
      if (!rule.methods().contains(method)) {
        continue;
      }
      for (String t : new java.util.TreeSet<>(rule.targets())) {
        if (!t.equals(Rule.ANY) && !known(t, plain, templates)) {
          out.add(new Unregistered(rule.name(), method, t, Suggest.closest(t, plain)));
        }
      }
    }
    if (method == CallContext.Method.TOOLS_CALL) {
      for (String h : policy.hidden()) {
        if (!known(h, plain, templates)) {
          out.add(new Unregistered(null, method, h, Suggest.closest(h, plain)));
        }
      }
    }
    return out;
  }

  private static boolean known(String name, List<String> plain, List<Pattern> templates) {
    if (plain.contains(name)) {
      return true;
    }
    for (Pattern p : templates) {
      if (p.matcher(name).matches()) {
        return true;
      }
    }
    return false;
  }

  /** A URI template ({@code {var}} parts) as a pattern matching the URIs it stands for. */
  private static Pattern template(String uriTemplate) {
    StringBuilder re = new StringBuilder();
    int i = 0;
    while (i < uriTemplate.length()) {
      int open = uriTemplate.indexOf('{', i);
      int close = open < 0 ? -1 : uriTemplate.indexOf('}', open);
      if (open < 0 || close < 0) {
        re.append(Pattern.quote(uriTemplate.substring(i)));
        break;
      }
      if (open > i) {
        re.append(Pattern.quote(uriTemplate.substring(i, open)));
      }
      re.append(".+");
      i = close + 1;
    }
    return Pattern.compile(re.toString());
  }

  private static String kind(CallContext.Method method) {
    switch (method) {
      case TOOLS_CALL: return "tool";
      case RESOURCES_READ: return "resource";
      default: return "prompt";
    }
  }
}
