package dev.mcpratelimit.mcp;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.mcp.internal.Denials;
import dev.mcpratelimit.mcp.internal.Json;
import dev.mcpratelimit.mcp.internal.JsonRpcPeek;
import dev.mcpratelimit.mcp.internal.RateLimitedError;
import dev.mcpratelimit.policy.internal.PolicyReader;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The HTTP edge of a Streamable HTTP MCP server: a servlet filter, mapped in front of the SDK's
 * servlet transport, that limits raw MCP requests — above all session creation
 * ({@code initialize}) — per identity or client address before the SDK parses them, and answers
 * its denials the way every HTTP client understands: status 429 with {@code Retry-After} and the
 * IETF {@code RateLimit-Policy} / {@code RateLimit} headers.
 *
 * <p>Its rules are the policy's {@link CallContext.Method#HTTP_REQUEST} rules (the {@code edge:}
 * section of a policy file), decided by the same {@link RateLimiter} as the tool calls, so a
 * reloaded policy changes them too. Each request is one call whose target is
 *
 * <ul>
 *   <li>for a POST: its JSON-RPC method, taken from the {@code Mcp-Method} header (SEP-2243) when
 *       the client or a gateway sends it, else from the top-level {@code "method"} in the first
 *       {@link Builder#peekBytes} bytes of the body (read ahead and replayed: the SDK still reads
 *       the whole body), else {@code POST}. On a stateful server ({@link Builder#sessions}, the
 *       default) a POST without {@code Mcp-Session-Id} creates a session, so it counts as
 *       {@code initialize} whatever it claims;
 *   <li>for any other HTTP method ({@code GET} opens the server's event stream, {@code DELETE}
 *       ends a session): that HTTP method.
 * </ul>
 *
 * <p>The call carries the identity {@link IdentityExtractor} reads (use the transport's own
 * extractor) or, when the identity comes from elsewhere (a framework's security context, a
 * gateway's claims), what a {@linkplain Builder#identity(Function) request → attributes function}
 * returns; the session id from {@code Mcp-Session-Id}, and the attribute
 * {@value #ADDRESS}: the client's IP address as the container sees it (behind a proxy, configure
 * the container's remote-IP handling). Its arguments are {@code method} and {@code name} (the
 * {@code Mcp-Name} header, SEP-2243, base64 form decoded), so edge rules may key or test on
 * {@code args.name}. Tool-call denials inside the SDK are unaffected: they keep their MCP-level
 * answer.
 *
 * <p>A denial is answered without calling the rest of the chain: 429 for a rate limit or an
 * upstream back-off, 403 for a failed condition, 503 when the store is down and the policy fails
 * closed; the body is a JSON-RPC error (the request's id when it was read, else null) with the
 * structured denial as {@code data}, code {@link McpRateLimiting#DEFAULT_ERROR_CODE} by default or,
 * in {@link DenialMode#RATE_LIMITED_ERROR}, the provisional SEP-3304 shape. Granted requests pass;
 * their cost is committed (concurrency permits freed) when the chain returns.
 *
 * <pre>{@code
 * PolicyFile file = PolicyLoader.load(Path.of("policy.yaml"));
 * McpRateLimiting limits = McpRateLimiting.builder(file.policy()).denialMode(file.denialMode()).build();
 * IdentityExtractor identity = IdentityExtractor.builder().header("X-Tenant-Id", "tenant").build();
 * McpHttpRateLimitFilter edge = McpHttpRateLimitFilter.builder(limits.limiter())
 *     .identity(identity).denialMode(file.denialMode()).build();
 * // register edge for the MCP endpoint's path, before the transport servlet
 * }</pre>
 *
 * <p>Immutable and thread-safe. The servlet API is needed only by code that loads this class.
 */
public final class McpHttpRateLimitFilter implements Filter {
  /** Identity attribute (and {@code edge} key dimension) holding the client's IP address. */
  public static final String ADDRESS = PolicyReader.EDGE_ADDRESS;
  /** Default of {@link Builder#peekBytes}. */
  public static final int DEFAULT_PEEK_BYTES = 4096;
  /** Most bytes {@link Builder#peekBytes} accepts. */
  public static final int MAX_PEEK_BYTES = 65_536;

  private static final String SESSION_HEADER = "Mcp-Session-Id";
  private static final String METHOD_HEADER = "Mcp-Method";
  private static final String NAME_HEADER = "Mcp-Name";

  private final RateLimiter limiter;
  private final @Nullable Function<? super HttpServletRequest, ? extends @Nullable Map<String, String>> identity;
  private final DenialMode denialMode;
  private final int errorCode;
  private final int peekBytes;
  private final boolean sessions;
  private volatile @Nullable RateLimitPolicy seenPolicy;
  private volatile boolean active;

  private McpHttpRateLimitFilter(Builder b) {
    this.limiter = b.limiter;
    this.identity = b.identity;
    this.denialMode = b.denialMode;
    this.errorCode = b.errorCode;
    this.peekBytes = b.peekBytes;
    this.sessions = b.sessions;
  }

  /**
   * @param limiter the limiter whose policy holds the edge rules (share the one of
   *     {@link McpRateLimiting#limiter()})
   * @return a builder
   */
  public static Builder builder(RateLimiter limiter) {
    return new Builder(Objects.requireNonNull(limiter, "limiter"));
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
    if (!(req instanceof HttpServletRequest http) || !(res instanceof HttpServletResponse out) || !active()) {
      chain.doFilter(req, res);
      return;
    }
    HttpServletRequest forward = http;
    String id = null;
    String sessionId = CallerValues.clean(http.getHeader(SESSION_HEADER));
    String target;
    if ("POST".equals(http.getMethod())) {
      String method = CallerValues.clean(http.getHeader(METHOD_HEADER));
      if (peekBytes > 0 && method == null && isJson(http)) {
        JsonRpcPeek.Result p = JsonRpcPeek.peek(http, peekBytes);
        forward = p.request();
        id = p.id();
        if (method == null) {
          method = p.method();
        }
      }
      if (sessions && sessionId == null) {
        method = "initialize"; // only initialize may come without a session on a stateful server
      }
      target = method != null ? method : "POST";
    } else {
      target = http.getMethod();
    }
    CallContext.Builder b = CallContext.of(CallContext.Method.HTTP_REQUEST, target);
    if (identity != null) {
      Map<String, String> attributes = identity.apply(http);
      if (attributes != null) {
        for (Map.Entry<String, String> e : attributes.entrySet()) {
          String value = CallerValues.clean(e.getValue());
          if (e.getKey() != null && value != null) {
            b.attribute(e.getKey(), value);
          }
        }
      }
    }
    b.session(sessionId);
    b.attribute(ADDRESS, CallerValues.clean(http.getRemoteAddr()));
    Map<String, Object> args = new LinkedHashMap<>(4);
    args.put("method", target);
    String name = mcpName(http.getHeader(NAME_HEADER));
    if (name != null) {
      args.put("name", name);
    }
    b.arguments(args);
    Decision d = limiter.acquire(b.build());
    if (d instanceof Decision.Denied denied) {
      deny(out, denied, id);
      return;
    }
    Decision.Granted g = (Decision.Granted) d;
    try {
      chain.doFilter(forward, res);
    } finally {
      g.commit();
    }
  }

  /** Whether the policy has edge rules; computed once per policy instance. */
  private boolean active() {
    RateLimitPolicy p = limiter.policy();
    if (p != seenPolicy) {
      boolean any = false;
      for (Rule r : p.rules()) {
        any |= r.methods().contains(CallContext.Method.HTTP_REQUEST);
      }
      active = any; // written before seenPolicy: a reader that sees the policy sees its flag
      seenPolicy = p;
    }
    return active;
  }

  private static boolean isJson(HttpServletRequest http) {
    String ct = http.getContentType();
    return ct == null || ct.regionMatches(true, 0, "application/json", 0, 16);
  }

  /** The {@code Mcp-Name} value: plain, or SEP-2243's {@code =?base64?…?=} form decoded. */
  static @Nullable String mcpName(@Nullable String raw) {
    String v = raw == null ? null : raw.trim();
    if (v != null && v.startsWith("=?base64?") && v.endsWith("?=") && v.length() >= 11) {
      try {
        v = new String(Base64.getDecoder().decode(v.substring(9, v.length() - 2)), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    return CallerValues.clean(v);
  }

  private void deny(HttpServletResponse out, Decision.Denied d, @Nullable String id) throws IOException {
    int status = switch (d.reason()) {
      case RATE_LIMITED, BACKOFF -> 429;
      case STORE_UNAVAILABLE -> 503;
      default -> 403;
    };
    out.setStatus(status);
    Long seconds = Denials.retryAfterSeconds(d);
    if (seconds != null) {
      out.setHeader("Retry-After", Long.toString(seconds));
    }
    String policy = Denials.policy(d);
    if (policy != null) {
      out.setHeader("RateLimit-Policy", policy);
    }
    String ratelimit = Denials.ratelimit(d, seconds);
    if (ratelimit != null) {
      out.setHeader("RateLimit", ratelimit);
    }
    boolean sep = denialMode == DenialMode.RATE_LIMITED_ERROR && RateLimitedError.applies(d);
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", sep ? RateLimitedError.CODE : errorCode);
    error.put("message", Denials.text(d));
    error.put("data", sep ? RateLimitedError.data(d) : Denials.structured(d));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("jsonrpc", "2.0");
    body.put("id", id == null ? null : new Json.RawJson(id));
    body.put("error", error);
    byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
    out.setContentType("application/json");
    out.setCharacterEncoding("UTF-8");
    out.setContentLength(bytes.length);
    out.getOutputStream().write(bytes);
  }

  @Override
  public String toString() {
    return "McpHttpRateLimitFilter{peekBytes=" + peekBytes + ", sessions=" + sessions + ", denial=" + denialMode + '}';
  }

  /** Builds a {@link McpHttpRateLimitFilter}. Not thread-safe. */
  public static final class Builder {
    private final RateLimiter limiter;
    private @Nullable Function<? super HttpServletRequest, ? extends @Nullable Map<String, String>> identity;
    private DenialMode denialMode = DenialMode.ERROR;
    private int errorCode = McpRateLimiting.DEFAULT_ERROR_CODE;
    private int peekBytes = DEFAULT_PEEK_BYTES;
    private boolean sessions = true;

    private Builder(RateLimiter limiter) {
      this.limiter = limiter;
    }

    /**
     * @param identity reads user, tenant and other attributes from the request (pass the
     *     transport's extractor); default none: only the session and {@value #ADDRESS}
     * @return this builder
     */
    public Builder identity(IdentityExtractor identity) {
      this.identity = Objects.requireNonNull(identity, "identity")::attributes;
      return this;
    }

    /**
     * Takes the identity from a function of the request, for servers whose identity is not what
     * an {@link IdentityExtractor} reads (a framework's security context, token claims): give it
     * the same resolver the transport's context extractor uses, so the edge and the tool-call
     * rules key on the same identity. Replaces {@link #identity(IdentityExtractor)}.
     *
     * <p>The function is called once per request, on the request's thread, before the rest of
     * the chain; it must be thread-safe. Its map is attribute name to value ({@code user},
     * {@code tenant}, {@code plan}, …; {@code null} or empty for an anonymous caller). Entries with
     * a null name, or a value that is null, empty, longer than
     * {@value IdentityExtractor#MAX_VALUE_LENGTH} characters or holds control characters, are
     * dropped. An exception it throws fails the request (the filter does not guess an identity).
     *
     * @param resolver request to identity attributes
     * @return this builder
     */
    public Builder identity(Function<? super HttpServletRequest, ? extends @Nullable Map<String, String>> resolver) {
      this.identity = Objects.requireNonNull(resolver, "identity");
      return this;
    }

    /**
     * @param mode {@link DenialMode#RATE_LIMITED_ERROR} answers rate limits in the provisional
     *     SEP-3304 shape; any other mode with {@link #errorCode} (a 429 carries no tool result)
     * @return this builder
     */
    public Builder denialMode(DenialMode mode) {
      this.denialMode = Objects.requireNonNull(mode, "denialMode");
      return this;
    }

    /**
     * @param code JSON-RPC error code of denial bodies; default {@value McpRateLimiting#DEFAULT_ERROR_CODE};
     *     outside −32768…−32000
     * @return this builder
     */
    public Builder errorCode(int code) {
      this.errorCode = McpRateLimiting.checkedErrorCode(code);
      return this;
    }

    /**
     * How many bytes of a POST body may be read ahead to find its JSON-RPC method when no
     * {@code Mcp-Method} header says it (and its id, for the error body). Default
     * {@value McpHttpRateLimitFilter#DEFAULT_PEEK_BYTES}; 0 never reads the body.
     *
     * @param bytes 0 to {@value McpHttpRateLimitFilter#MAX_PEEK_BYTES}
     * @return this builder
     */
    public Builder peekBytes(int bytes) {
      if (bytes < 0 || bytes > MAX_PEEK_BYTES) {
        throw new IllegalArgumentException("peekBytes must be between 0 and " + MAX_PEEK_BYTES + ", but was " + bytes);
      }
      this.peekBytes = bytes;
      return this;
    }

    /**
     * @param stateful whether the transport keeps sessions (default true, the Streamable HTTP
     *     transport provider): a POST without {@code Mcp-Session-Id} then counts as
     *     {@code initialize}; false for the stateless transport, where no request has a session
     * @return this builder
     */
    public Builder sessions(boolean stateful) {
      this.sessions = stateful;
      return this;
    }

    /** @return the filter */
    public McpHttpRateLimitFilter build() {
      return new McpHttpRateLimitFilter(this);
    }
  }
}
