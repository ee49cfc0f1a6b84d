package dev.mcpratelimit.spring;

import static dev.mcpratelimit.spring.McpClients.call;
import static dev.mcpratelimit.spring.McpClients.structured;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.mcpratelimit.Clock;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Tenant from a JWT claim through a full Spring Security OAuth2 resource server: the test signs
 * RS256 tokens with its own key and the decoder checks them with the public key (no issuer, no
 * network). With {@code mcp.ratelimit.identity.claims.tenant=org_id}, a rule keyed by tenant is
 * shared by every user of one organisation and by no one else.
 */
@SpringBootTest(classes = JwtTenantTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"spring.ai.mcp.server.protocol=STREAMABLE",
        "mcp.ratelimit.policy=classpath:tenant-policy.yaml",
        "mcp.ratelimit.identity.claims.tenant=org_id"})
class JwtTenantTest {
  private static final KeyPair KEYS = rsa();

  @LocalServerPort
  int port;

  /** A Spring AI server as an OAuth2 resource server: every MCP request needs a valid bearer JWT. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  @Import(TestMcpApp.IssueTools.class)
  static class App {
    @Bean
    Clock rateLimitClock() {
      return TestMcpApp.CLOCK;
    }

    @Bean
    JwtDecoder jwtDecoder() {
      return NimbusJwtDecoder.withPublicKey((RSAPublicKey) KEYS.getPublic()).build();
    }

    @Bean
    SecurityFilterChain security(HttpSecurity http) throws Exception {
      return http.authorizeHttpRequests(a -> a.anyRequest().authenticated())
          .oauth2ResourceServer(o -> o.jwt(Customizer.withDefaults()))
          .csrf(c -> c.disable())
          .build();
    }
  }

  @Test
  void theTenantClaimKeysTheLimit() {
    TestMcpApp.CLOCK.advance(Duration.ofHours(1));
    try (McpClients clients = new McpClients()) {
      McpSyncClient alice = clients.connectBearer(port, token("alice", "acme"));
      McpSyncClient bob = clients.connectBearer(port, token("bob", "acme"));
      McpSyncClient carol = clients.connectBearer(port, token("carol", "globex"));
      assertNotEquals(Boolean.TRUE, call(alice, "create_issue", Map.of("title", "a1")).isError());
      assertNotEquals(Boolean.TRUE, call(alice, "create_issue", Map.of("title", "a2")).isError());
      assertNotEquals(Boolean.TRUE, call(bob, "create_issue", Map.of("title", "b1")).isError());

      McpSchema.CallToolResult denied = call(bob, "create_issue", Map.of("title", "b2"));
      assertEquals(Boolean.TRUE, denied.isError(), "acme's 3 per minute are spent, by alice and bob together");
      assertEquals("tenant issues", structured(denied).get("rule"));
      assertEquals(List.of("tenant"), structured(denied).get("scope"));
      assertEquals(Boolean.TRUE, call(alice, "create_issue", Map.of("title", "a3")).isError());

      for (int i = 0; i < 3; i++) {
        assertNotEquals(Boolean.TRUE, call(carol, "create_issue", Map.of("title", "c")).isError(), "globex's own budget");
      }
      assertEquals(Boolean.TRUE, call(carol, "create_issue", Map.of("title", "c")).isError());
    }
  }

  @Test
  void aTokenNotSignedByTheServersKeyIsRejectedBeforeAnyTool() {
    try (McpClients clients = new McpClients()) {
      String forged = token("mallory", "acme", rsa());
      assertThrows(RuntimeException.class, () -> clients.connectBearer(port, forged),
          "the resource server answers 401: the claim of a forged token never reaches the limiter");
    }
  }

  private static String token(String user, String org) {
    return token(user, org, KEYS);
  }

  private static String token(String user, String org, KeyPair keys) {
    Instant now = Instant.now();
    JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(user).claim("org_id", org)
        .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofHours(1)))).build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims);
    try {
      jwt.sign(new RSASSASigner(keys.getPrivate()));
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return jwt.serialize();
  }

  private static KeyPair rsa() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
