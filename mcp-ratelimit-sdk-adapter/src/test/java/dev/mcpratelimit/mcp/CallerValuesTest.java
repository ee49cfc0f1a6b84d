package dev.mcpratelimit.mcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.RateLimitPolicy;
import io.modelcontextprotocol.common.McpTransportContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The identity-value rules live in one place ({@link CallerValues}) and both of their callers
 * apply them alike: a value {@link McpRateLimiting.Builder#callerAttribute} rejects (with the
 * rule's message) is exactly a value {@link IdentityExtractor} drops from a real HTTP request in
 * embedded Tomcat, and a value one accepts the other keeps.
 */
class CallerValuesTest {
  /** Hostile values an HTTP header can carry (Tomcat refuses most other control bytes itself). */
  static final List<String> HOSTILE_OVER_HTTP = List.of(
      "", "x".repeat(CallerValues.MAX_LENGTH + 1), "alice\tbob", "\u0085", "eve\u009F");
  static final List<String> ACCEPTABLE_OVER_HTTP = List.of(
      "alice", "x".repeat(CallerValues.MAX_LENGTH), "ünïcødé", "a b");

  static Tomcat tomcat;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    IdentityExtractor extractor = IdentityExtractor.builder().principalAsUser(false).header("X-User-Id", CallContext.USER).build();
    tomcat = new Tomcat();
    tomcat.setBaseDir(Files.createTempDirectory("tomcat").toString());
    tomcat.setPort(0);
    Context ctx = tomcat.addContext("", null);
    Tomcat.addServlet(ctx, "who", new HttpServlet() {
      @Override
      protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        McpTransportContext t = extractor.extract(req);
        Object user = t.get(CallContext.USER);
        resp.setContentType("text/plain;charset=UTF-8");
        resp.getWriter().write(user == null ? "absent" : "user:" + user);
      }
    });
    ctx.addServletMappingDecoded("/*", "who");
    tomcat.start();
    port = tomcat.getConnector().getLocalPort();
  }

  @AfterAll
  static void stop() throws Exception {
    tomcat.stop();
    tomcat.destroy();
  }

  /** What the extractor made of an {@code X-User-Id} header sent as these exact ISO-8859-1 bytes. */
  static String extracted(String header) throws IOException {
    try (Socket s = new Socket("localhost", port)) {
      OutputStream out = s.getOutputStream();
      out.write(("GET /who HTTP/1.1\r\nHost: localhost\r\nX-User-Id: " + header + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertEquals("HTTP/1.1 200", response.substring(0, 12), response);
      return response.substring(response.indexOf("\r\n\r\n") + 4);
    }
  }

  static String rejection(String value) {
    McpRateLimiting.Builder b = McpRateLimiting.builder(RateLimitPolicy.builder().build());
    return assertThrows(IllegalArgumentException.class, () -> b.callerAttribute(CallContext.USER, value)).getMessage();
  }

  @Test
  void eachRuleHasItsOwnMessage() {
    assertEquals("must not be empty", CallerValues.problem(""));
    assertEquals("must be at most 256 characters, but was 257", CallerValues.problem("x".repeat(257)));
    assertEquals("must not contain control characters, but has U+0009 at index 5", CallerValues.problem("alice\tbob"));
    assertEquals("must not contain control characters, but has U+0085 at index 0", CallerValues.problem("\u0085"));
    assertEquals("must not contain control characters, but has U+007F at index 1", CallerValues.problem("a\u007F"));
    assertEquals("must not contain control characters, but has U+0000 at index 0", CallerValues.problem("\u0000x"));
    assertEquals("must be at most 256 characters, but was 300", CallerValues.problem("\n".repeat(300)),
        "the length is reported before the characters");
    assertNull(CallerValues.problem("x".repeat(256)));
    assertNull(CallerValues.problem("ünïcødé ✓"));
    assertNull(CallerValues.clean(null));
    assertEquals(IdentityExtractor.MAX_VALUE_LENGTH, CallerValues.MAX_LENGTH);
  }

  @Test
  void theBuilderRejectsAHostileValueWithTheSharedRulesMessage() {
    for (String v : List.of("", "x".repeat(257), "alice\nbob", "\u0000", "\u0085", "eve\u009F", "alice\tbob")) {
      String problem = CallerValues.problem(v);
      assertNotNull(problem, v);
      assertEquals("callerAttribute user " + problem, rejection(v));
      assertNull(CallerValues.clean(v), "the request side drops what the builder rejects: " + v);
    }
  }

  @Test
  void theExtractorDropsFromARealRequestExactlyWhatTheBuilderRejects() throws IOException {
    for (String v : HOSTILE_OVER_HTTP) {
      assertEquals("callerAttribute user " + CallerValues.problem(v), rejection(v));
      assertEquals("absent", extracted(v), "a header the builder's rule rejects is treated as absent: \""
          + CallerValues.printable(v) + "\"");
    }
  }

  @Test
  void valuesOneCallerAcceptsTheOtherKeeps() throws IOException {
    for (String v : ACCEPTABLE_OVER_HTTP) {
      McpRateLimiting.builder(RateLimitPolicy.builder().build()).callerAttribute(CallContext.USER, v).build();
      assertEquals(v, CallerValues.clean(v));
      assertEquals("user:" + v, extracted(v));
    }
  }

  @Test
  void thePublicRuleAcceptsWhatTheBuilderAcceptsAndNothingElse() {
    for (String v : List.of("", "x".repeat(257), "alice\nbob", "\u0000", "\u0085", "eve\u009F", "alice\tbob")) {
      assertNull(IdentityExtractor.acceptedValue(v), () -> "accepted " + CallerValues.printable(v));
    }
    assertNull(IdentityExtractor.acceptedValue(null));
    for (String v : List.of("alice", "x".repeat(256), "ünïcode ✓", "acme corp")) {
      assertEquals(v, IdentityExtractor.acceptedValue(v));
      assertNull(CallerValues.problem(v));
    }
  }

  @Test
  void printableEscapesControlCharactersOnly() {
    assertEquals("a\\u000Ab\\u0009 ü", CallerValues.printable("a\nb\t ü"));
  }
}
