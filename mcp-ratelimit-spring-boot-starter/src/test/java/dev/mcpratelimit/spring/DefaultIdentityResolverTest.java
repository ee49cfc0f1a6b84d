package dev.mcpratelimit.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mcpratelimit.spring.internal.DefaultIdentityResolver;
import dev.mcpratelimit.spring.internal.IdentityContextExtractor;
import dev.mcpratelimit.mcp.McpRateLimiting;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.converter.StringHttpMessageConverter;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.web.servlet.function.ServerRequest;

/** Identity from a real JWT authentication (Spring Security's types), its claims, and headers. */
class DefaultIdentityResolverTest {
  private static final Jwt JWT = Jwt.withTokenValue("token").header("alg", "none").subject("alice")
      .claim("org_id", "acme").claim("plan", "pro").claim("roles", List.of("a", "b"))
      .issuedAt(Instant.parse("2026-01-01T00:00:00Z")).expiresAt(Instant.parse("2026-01-01T01:00:00Z")).build();

  @AfterEach
  void clear() {
    SecurityContextHolder.clearContext();
  }

  @Test
  void userFromThePrincipalAndTenantFromAConfiguredClaim() {
    MockHttpServletRequest request = new MockHttpServletRequest();
    request.setUserPrincipal(new JwtAuthenticationToken(JWT));
    DefaultIdentityResolver r = new DefaultIdentityResolver(true, Map.of("tenant", "org_id", "plan", "plan", "roles", "roles"), Map.of());
    assertEquals(Map.of("user", "alice", "tenant", "acme", "plan", "pro"), r.resolve(request), "a list claim is not a key");
  }

  @Test
  void theSecurityContextWhenTheRequestCarriesNoPrincipal() {
    SecurityContextHolder.getContext().setAuthentication(new JwtAuthenticationToken(JWT, List.of())); // authenticated
    DefaultIdentityResolver r = new DefaultIdentityResolver(true, Map.of("tenant", "org_id"), Map.of());
    assertEquals(Map.of("user", "alice", "tenant", "acme"), r.resolve(new MockHttpServletRequest()));
  }

  @Test
  void headersOnlyWhenConfiguredAndThePrincipalWins() {
    MockHttpServletRequest request = new MockHttpServletRequest();
    request.addHeader("X-User-Id", "mallory");
    request.addHeader("X-Tenant-Id", "globex");
    assertEquals(Map.of(), new DefaultIdentityResolver(true, Map.of(), Map.of()).resolve(request), "headers are off by default");
    request.setUserPrincipal(new JwtAuthenticationToken(JWT));
    DefaultIdentityResolver r = new DefaultIdentityResolver(true, Map.of(), Map.of("X-User-Id", "user", "X-Tenant-Id", "tenant"));
    assertEquals(Map.of("user", "alice", "tenant", "globex"), r.resolve(request));
  }

  @Test
  void hostileValuesAreDroppedBeforeTheyBecomeKeys() {
    MockHttpServletRequest request = new MockHttpServletRequest();
    request.addHeader("X-Tenant-Id", "a\nb");
    request.addHeader("X-Plan", "p".repeat(257));
    request.addHeader("X-Region", "eu");
    IdentityContextExtractor e = new IdentityContextExtractor(new DefaultIdentityResolver(true, Map.of(),
        Map.of("X-Tenant-Id", "tenant", "X-Plan", "plan", "X-Region", "region")));
    Object attributes = e.extract(ServerRequest.create(request, List.of(new StringHttpMessageConverter())))
        .get(McpRateLimiting.ATTRIBUTES);
    assertEquals(Map.of("region", "eu"), attributes);
  }
}
