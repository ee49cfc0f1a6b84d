package dev.mcpratelimit.spring.internal;

import dev.mcpratelimit.mcp.IdentityExtractor;
import dev.mcpratelimit.mcp.McpRateLimiting;
import dev.mcpratelimit.spring.McpRateLimitIdentityResolver;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpTransportContextExtractor;
import java.util.HashMap;
import java.util.Map;
import org.springframework.web.servlet.function.ServerRequest;

/**
 * Puts what the {@link McpRateLimitIdentityResolver} says into the MCP transport context of a
 * Spring AI WebMVC transport, where {@link McpRateLimiting} reads it. Values over
 * {@value IdentityExtractor#MAX_VALUE_LENGTH} characters or with control characters are dropped.
 */
public final class IdentityContextExtractor implements McpTransportContextExtractor<ServerRequest> {
  private final McpRateLimitIdentityResolver resolver;

  /** @param resolver the identity resolver */
  public IdentityContextExtractor(McpRateLimitIdentityResolver resolver) {
    this.resolver = resolver;
  }

  @Override
  public McpTransportContext extract(ServerRequest request) {
    Map<String, String> resolved = resolver.resolve(request.servletRequest());
    if (resolved.isEmpty()) {
      return McpTransportContext.EMPTY;
    }
    Map<String, String> clean = new HashMap<>(resolved.size() * 2);
    for (Map.Entry<String, String> e : resolved.entrySet()) {
      if (e.getKey() != null && IdentityExtractor.acceptedValue(e.getValue()) != null) {
        clean.put(e.getKey(), e.getValue());
      }
    }
    return McpTransportContext.create(Map.of(McpRateLimiting.ATTRIBUTES, clean));
  }
}
