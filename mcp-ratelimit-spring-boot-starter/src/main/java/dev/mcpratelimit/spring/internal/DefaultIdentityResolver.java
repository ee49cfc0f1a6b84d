package dev.mcpratelimit.spring.internal;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.spring.McpRateLimitIdentityResolver;
import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.util.ClassUtils;

/**
 * The default identity: configured headers first, then JWT/token claims, then the authenticated
 * principal's name as {@code user} (so neither a header nor a claim can override who is
 * authenticated). The principal is the servlet request's (Spring Security's request wrapper
 * returns its {@code Authentication}) or, when that is absent, Spring Security's security context.
 */
public final class DefaultIdentityResolver implements McpRateLimitIdentityResolver {
  private static final ClassLoader LOADER = DefaultIdentityResolver.class.getClassLoader();
  private static final boolean SECURITY =
      ClassUtils.isPresent("org.springframework.security.core.context.SecurityContextHolder", LOADER);
  private static final boolean OAUTH2 =
      SECURITY && ClassUtils.isPresent("org.springframework.security.oauth2.core.ClaimAccessor", LOADER);

  private final boolean principalAsUser;
  private final Map<String, String> claims;
  private final Map<String, String> headers;

  /**
   * @param principalAsUser whether the principal's name becomes {@code user}
   * @param claims attribute to claim name
   * @param headers header to attribute
   */
  public DefaultIdentityResolver(boolean principalAsUser, Map<String, String> claims, Map<String, String> headers) {
    this.principalAsUser = principalAsUser;
    this.claims = Map.copyOf(claims);
    this.headers = Map.copyOf(headers);
  }

  @Override
  public Map<String, String> resolve(HttpServletRequest request) {
    Map<String, String> out = new LinkedHashMap<>(4);
    for (Map.Entry<String, String> h : headers.entrySet()) {
      String v = request.getHeader(h.getKey());
      if (v != null) {
        out.put(h.getValue(), v);
      }
    }
    Principal p = principal(request);
    if (p == null) {
      return out;
    }
    if (!claims.isEmpty() && OAUTH2) {
      Map<String, Object> tokenClaims = TokenClaims.of(p);
      for (Map.Entry<String, String> c : claims.entrySet()) {
        Object v = tokenClaims.get(c.getValue());
        if (v instanceof String || v instanceof Number || v instanceof Boolean) {
          out.put(c.getKey(), v.toString());
        }
      }
    }
    if (principalAsUser && p.getName() != null) {
      out.put(CallContext.USER, p.getName());
    }
    return out;
  }

  private static @Nullable Principal principal(HttpServletRequest request) {
    Principal p = request.getUserPrincipal();
    if (p == null && SECURITY) {
      p = SecurityPrincipal.current();
    }
    return p;
  }
}
