package dev.mcpratelimit.mcp.internal;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.policy.PolicyNames;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The names a server registered (seen as its specifications are wrapped), checked against the
 * policy by {@link PolicyNames}: each unregistered name is logged once at WARN, or, when strict,
 * fails with an {@link IllegalStateException} listing them all.
 */
public final class NameCheck {
  private static final Logger LOG = LoggerFactory.getLogger("dev.mcpratelimit");

  private final boolean strict;
  private final Map<CallContext.Method, Set<String>> registered = new EnumMap<>(CallContext.Method.class);
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  public NameCheck(boolean strict) {
    this.strict = strict;
    for (CallContext.Method m : CallContext.Method.values()) {
      registered.put(m, ConcurrentHashMap.newKeySet());
    }
  }

  /** Notes a wrapped specification's name (tool name, resource URI or template, prompt name). */
  public void saw(CallContext.Method method, String name) {
    registered.get(method).add(name);
  }

  /**
   * Checks the given kinds of names against the policy.
   *
   * @return the problems, as messages
   * @throws IllegalStateException when strict and there are problems
   */
  public List<String> check(RateLimitPolicy policy, CallContext.Method... methods) {
    List<String> problems = new ArrayList<>();
    for (CallContext.Method m : methods) {
      for (PolicyNames.Unregistered u : PolicyNames.unregistered(policy, m, registered.get(m))) {
        problems.add(u.message());
      }
    }
    if (problems.isEmpty()) {
      return problems;
    }
    if (strict) {
      throw new IllegalStateException("the rate-limit policy names what this server does not register: "
          + String.join("; ", problems));
    }
    for (String p : problems) {
      if (warned.add(p)) {
        LOG.warn("Rate-limit policy: {}", p);
      }
    }
    return problems;
  }
}
