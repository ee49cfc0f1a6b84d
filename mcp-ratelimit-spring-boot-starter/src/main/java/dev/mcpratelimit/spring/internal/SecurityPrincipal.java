package dev.mcpratelimit.spring.internal;

import java.security.Principal;
import org.jspecify.annotations.Nullable;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/** Spring Security's current authentication; loaded only when Spring Security is present. */
final class SecurityPrincipal {
  private SecurityPrincipal() {}

  static @Nullable Principal current() {
    Authentication a = SecurityContextHolder.getContext().getAuthentication();
    if (a == null || !a.isAuthenticated() || a instanceof AnonymousAuthenticationToken) {
      return null;
    }
    return a;
  }
}
