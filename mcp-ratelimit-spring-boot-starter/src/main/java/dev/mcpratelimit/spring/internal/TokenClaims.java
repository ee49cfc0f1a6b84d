package dev.mcpratelimit.spring.internal;

import java.security.Principal;
import java.util.Map;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.core.ClaimAccessor;
import org.springframework.security.oauth2.core.OAuth2AuthenticatedPrincipal;

/**
 * The claims of an OAuth 2 authentication: a JWT's ({@code JwtAuthenticationToken}'s principal is
 * the {@code Jwt}, a {@link ClaimAccessor}) or an introspected opaque token's attributes. Loaded only
 * when spring-security-oauth2-core is present.
 */
final class TokenClaims {
  private TokenClaims() {}

  static Map<String, Object> of(Principal p) {
    if (p instanceof Authentication a) {
      Object inner = a.getPrincipal();
      if (inner instanceof ClaimAccessor c) {
        return c.getClaims();
      }
      if (inner instanceof OAuth2AuthenticatedPrincipal o) {
        return o.getAttributes();
      }
    }
    return Map.of();
  }
}
