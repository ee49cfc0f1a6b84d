package dev.mcpratelimit.mcp;

import dev.mcpratelimit.CallContext;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpTransportContextExtractor;
import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Copies the caller's identity from an HTTP request into the MCP transport context, where
 * {@link McpRateLimiting} reads it: the authenticated principal's name as {@code user}, and
 * configured headers as named attributes (e.g. {@code X-Tenant-Id} as {@code tenant}).
 *
 * <p><strong>Trust:</strong> a header is whatever the client sends. Map identity headers only
 * when the server sits behind an authenticating gateway that sets them and strips any the client
 * sent; otherwise a caller can spoof another tenant and spend its budget. The principal comes from
 * the servlet container's authentication and is trusted as far as that is.
 *
 * <p>Values that are empty, longer than {@value #MAX_VALUE_LENGTH} characters or contain control
 * characters are ignored (treated as absent), so a hostile client cannot create huge or
 * log-breaking keys: the rules {@link McpRateLimiting.Builder#callerAttribute} applies to
 * configured values.
 * Immutable and thread-safe.
 *
 * <pre>{@code
 * HttpServletStreamableServerTransportProvider.builder()
 *     .contextExtractor(IdentityExtractor.builder().header("X-Tenant-Id", "tenant").build())
 *     .build();
 * }</pre>
 */
public final class IdentityExtractor implements McpTransportContextExtractor<HttpServletRequest> {
  /** Longest identity value accepted. */
  public static final int MAX_VALUE_LENGTH = CallerValues.MAX_LENGTH;

  private final boolean principal;
  private final Map<String, String> headers;

  private IdentityExtractor(Builder b) {
    this.principal = b.principal;
    this.headers = Map.copyOf(b.headers);
  }

  /**
   * The rule every identity value must meet, here and wherever else a server builds identities
   * (the Spring starter's resolver, {@code McpRateLimiting.Builder.callerAttribute}): not empty, at
   * most {@link #MAX_VALUE_LENGTH} characters, no control characters. Allocates nothing.
   *
   * @param value a value a request carries, or {@code null}
   * @return {@code value} when it meets the rule, else {@code null} (to be treated as absent)
   */
  public static @Nullable String acceptedValue(@Nullable String value) {
    return CallerValues.clean(value);
  }

  /** @return a builder that maps the principal to {@code user} and no headers */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public McpTransportContext extract(HttpServletRequest request) {
    Map<String, String> attributes = attributes(request);
    Map<String, Object> values = new HashMap<>(attributes);
    // every attribute, also those beyond user/tenant/session/client (e.g. plan, role), where
    // McpRateLimiting reads further attributes
    values.put(McpRateLimiting.ATTRIBUTES, Map.copyOf(attributes));
    return McpTransportContext.create(values);
  }

  /** The identity attributes of a request (also read by {@link McpHttpRateLimitFilter}). */
  Map<String, String> attributes(HttpServletRequest request) {
    Map<String, String> values = new HashMap<>(4);
    for (Map.Entry<String, String> h : headers.entrySet()) {
      String v = CallerValues.clean(request.getHeader(h.getKey()));
      if (v != null) {
        values.put(h.getValue(), v);
      }
    }
    if (principal) {
      Principal p = request.getUserPrincipal();
      String name = p == null ? null : CallerValues.clean(p.getName());
      if (name != null) {
        values.put(CallContext.USER, name); // the authenticated principal wins over any header
      }
    }
    return values;
  }

  /** Builds an {@link IdentityExtractor}. Not thread-safe. */
  public static final class Builder {
    private boolean principal = true;
    private final Map<String, String> headers = new LinkedHashMap<>();

    private Builder() {}

    /**
     * @param enabled whether the authenticated principal's name becomes {@code user}; default true
     * @return this builder
     */
    public Builder principalAsUser(boolean enabled) {
      this.principal = enabled;
      return this;
    }

    /**
     * Maps a request header to an identity attribute. Trust it only behind an authenticating
     * gateway (see the class documentation).
     *
     * @param header e.g. {@code X-Tenant-Id}
     * @param attribute e.g. {@code tenant} ({@link CallContext#TENANT})
     * @return this builder
     */
    public Builder header(String header, String attribute) {
      headers.put(Objects.requireNonNull(header, "header"), Objects.requireNonNull(attribute, "attribute"));
      return this;
    }

    /** @return the extractor */
    public IdentityExtractor build() {
      return new IdentityExtractor(this);
    }
  }
}
