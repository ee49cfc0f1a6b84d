package dev.mcpratelimit.bench;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.mcp.IdentityExtractor;
import dev.mcpratelimit.mcp.McpHttpRateLimitFilter;
import dev.mcpratelimit.policy.PolicyLoader;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.connector.CoyoteAdapter;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-request cost of {@link McpHttpRateLimitFilter}, on Tomcat's own request and response
 * objects ({@code org.apache.catalina.connector.Request} over a coyote request, as the connector
 * hands them to a filter, with no socket): a {@code tools/call} POST of one of 1,000 users named
 * by the {@code Mcp-Method} / {@code Mcp-Name} headers (SEP-2243, so no body is read), a session
 * id and an {@code X-User-Id} identity header, through a filter chain that does nothing.
 *
 * <ul>
 *   <li>{@code granted}: an edge rule keyed on user and tool name grants; the chain is called and
 *       the grant committed.
 *   <li>{@code denied}: the user's budget is spent; the filter answers 429 with
 *       {@code Retry-After}, {@code RateLimit-Policy}, {@code RateLimit} and the JSON-RPC error
 *       body (into Tomcat's response buffer; the response is recycled after each call).
 *   <li>{@code noEdgeRules}: a policy without an {@code edge:} section: what the filter costs a
 *       server that has it registered but no edge rules (the request passes untouched).
 *   <li>{@code decisionOnly}: the floor: the same decision from a prebuilt call context, no
 *       request reading, no context building.
 * </ul>
 *
 * <p>Run: {@code java -jar mcp-ratelimit-bench/target/benchmarks.jar HttpEdgeBenchmark -prof gc}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class HttpEdgeBenchmark {
  static final int USERS = 1_000;
  static final String POLICY = """
      version: 1
      edge:
        tools/call:
          rules:
            - { name: calls per user and tool, %s, key: [user, args.name] }
      """;
  static final String NO_EDGE = """
      version: 1
      tools:
        search: { rules: [{ name: searches, rateLimit: 10/minute }] }
      """;
  static final FilterChain NOTHING = (req, res) -> { };

  McpHttpRateLimitFilter grantingFilter;
  McpHttpRateLimitFilter denyingFilter;
  McpHttpRateLimitFilter inactiveFilter;
  RateLimiter granting;
  HttpServletRequest[] requests;
  CallContext[] contexts;
  org.apache.coyote.Response coyoteResponse;
  Response response;
  HttpServletResponse out;
  int next;

  @Setup
  public void setUp() throws IOException, ServletException {
    IdentityExtractor identity = IdentityExtractor.builder().principalAsUser(false).header("X-User-Id", "user").build();
    granting = limiter(POLICY.formatted("tokenBucket: { capacity: 1000000000, refill: 100000000/second }"));
    RateLimiter denying = limiter(POLICY.formatted("rateLimit: 1/hour"));
    grantingFilter = McpHttpRateLimitFilter.builder(granting).identity(identity).build();
    denyingFilter = McpHttpRateLimitFilter.builder(denying).identity(identity).build();
    inactiveFilter = McpHttpRateLimitFilter.builder(limiter(NO_EDGE)).identity(identity).build();
    Connector connector = new Connector("HTTP/1.1");
    connector.setDiscardFacades(false); // the response's facade is kept across recycle()
    requests = new HttpServletRequest[USERS];
    contexts = new CallContext[USERS];
    for (int i = 0; i < USERS; i++) {
      org.apache.coyote.Request coyote = new org.apache.coyote.Request();
      coyote.setMethod("POST");
      header(coyote, "Content-Type", "application/json");
      coyote.remoteAddr().setString("10.0.0." + (i % 250));
      header(coyote, "Mcp-Session-Id", "session-" + i);
      header(coyote, "Mcp-Method", "tools/call");
      header(coyote, "Mcp-Name", "search");
      header(coyote, "X-User-Id", "user-" + i);
      requests[i] = new Request(connector, coyote).getRequest();
      contexts[i] = CallContext.of(CallContext.Method.HTTP_REQUEST, "tools/call").user("user-" + i)
          .session("session-" + i).attribute(McpHttpRateLimitFilter.ADDRESS, "10.0.0." + (i % 250))
          .arguments(Map.of("method", "tools/call", "name", "search")).build();
    }
    coyoteResponse = new org.apache.coyote.Response();
    coyoteResponse.setOutputBuffer(new Sink()); // where the connector would write to the socket
    response = new Response(coyoteResponse);
    org.apache.coyote.Request exchange = new org.apache.coyote.Request(); // the coyote pair the response belongs to
    exchange.setMethod("POST");
    exchange.setResponse(coyoteResponse);
    Request servletExchange = new Request(connector, exchange);
    exchange.setNote(CoyoteAdapter.ADAPTER_NOTES, servletExchange); // as the connector links them
    servletExchange.setResponse(response);
    response.setRequest(servletExchange);
    out = response.getResponse();
    for (int i = 0; i < USERS; i++) { // spend every user's budget of the denying limiter
      denyingFilter.doFilter(requests[i], out, NOTHING);
      recycle();
    }
    denyingFilter.doFilter(requests[0], out, NOTHING);
    if (out.getStatus() != 429 || out.getHeader("RateLimit-Policy") == null) {
      throw new IllegalStateException("expected a 429 with RateLimit-Policy, got " + out.getStatus());
    }
    recycle();
    int[] passed = new int[1];
    grantingFilter.doFilter(requests[0], out, (req, res) -> passed[0]++);
    inactiveFilter.doFilter(requests[0], out, (req, res) -> passed[0]++);
    if (passed[0] != 2 || out.getStatus() != 200) {
      throw new IllegalStateException("expected both requests to pass");
    }
  }

  /** As the connector does after each request: the servlet response, then the coyote one. */
  private void recycle() {
    response.recycle();
    coyoteResponse.recycle();
  }

  /** The socket's place: counts the bytes and drops them. */
  static final class Sink implements org.apache.coyote.OutputBuffer {
    long written;

    @Override
    public int doWrite(ByteBuffer chunk) {
      int n = chunk.remaining();
      chunk.position(chunk.limit());
      written += n;
      return n;
    }

    @Override
    public long getBytesWritten() {
      return written;
    }
  }

  private static void header(org.apache.coyote.Request coyote, String name, String value) {
    coyote.getMimeHeaders().addValue(name).setString(value);
  }

  static RateLimiter limiter(String yaml) {
    return RateLimiter.builder(PolicyLoader.parse(yaml, "edge-benchmark.yaml", false).policy()).build();
  }

  private int nextIndex() {
    int i = next;
    next = i + 1 == USERS ? 0 : i + 1;
    return i;
  }

  /** A granted request: headers read, call context built, decided, chain called, committed. */
  @Benchmark
  public HttpServletRequest granted() throws IOException, ServletException {
    HttpServletRequest req = requests[nextIndex()];
    grantingFilter.doFilter(req, out, NOTHING);
    return req;
  }

  /** A denied request, answered with 429, the rate-limit headers and the JSON-RPC error body. */
  @Benchmark
  public int denied() throws IOException, ServletException {
    denyingFilter.doFilter(requests[nextIndex()], out, NOTHING);
    int status = out.getStatus();
    recycle();
    return status;
  }

  /** The filter registered on a policy without edge rules: the request passes untouched. */
  @Benchmark
  public HttpServletRequest noEdgeRules() throws IOException, ServletException {
    HttpServletRequest req = requests[nextIndex()];
    inactiveFilter.doFilter(req, out, NOTHING);
    return req;
  }

  /** The same decision as {@code granted} from a prebuilt call context: the floor. */
  @Benchmark
  public Decision decisionOnly() {
    Decision d = granting.acquire(contexts[nextIndex()]);
    ((Decision.Granted) d).commit();
    return d;
  }
}
