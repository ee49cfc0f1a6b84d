package dev.mcpratelimit.spring;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;

/**
 * Says who is calling, from the HTTP request that carries an MCP message: the attributes returned
 * (e.g. {@code user}, {@code tenant}) become the call's identity, which the policy's {@code key}
 * dimensions read. Define a bean of this type to replace the default, which takes {@code user}
 * from the authenticated principal and further attributes from the configured JWT claims and
 * headers ({@code mcp.ratelimit.identity.*}).
 *
 * <p>Called once per HTTP request on the servlet thread, for every WebMVC transport (Streamable
 * HTTP, SSE, stateless). Values longer than 256 characters or with control characters are
 * dropped before use. Must be thread-safe.
 */
@FunctionalInterface
public interface McpRateLimitIdentityResolver {
  /**
   * @param request the HTTP request
   * @return attribute name to value; empty for an anonymous caller
   */
  Map<String, String> resolve(HttpServletRequest request);
}
