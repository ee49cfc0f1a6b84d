package dev.mcpratelimit.spring;

import dev.mcpratelimit.mcp.McpHttpRateLimitFilter;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the HTTP edge, under {@code mcp.ratelimit.http}: the {@link McpHttpRateLimitFilter}
 * the starter puts in front of Spring AI's Streamable HTTP (or stateless) MCP endpoint, which
 * decides the policy file's {@code edge:} rules for every raw request.
 */
@ConfigurationProperties(prefix = "mcp.ratelimit.http")
public class McpRateLimitHttpProperties {
  /**
   * Whether to register the HTTP edge filter on the MCP endpoint. Unset: when the policy file has
   * an edge section. true: always (edge rules a reload adds then apply at once; without any the
   * filter passes every request untouched). false: never (no filter bean at all).
   */
  private @Nullable Boolean enabled;

  /**
   * Order of the filter among the servlet filters. Unset: right after Spring Security's filter
   * chain (spring.security.filter.order + 1, i.e. -99 by default), so the authenticated principal
   * is known when the edge decides.
   */
  private @Nullable Integer order;

  /**
   * How many bytes of a POST body the filter may read ahead to find its JSON-RPC method when no
   * Mcp-Method header names it (0 to 65536; 0 never reads the body).
   */
  private int peekBytes = McpHttpRateLimitFilter.DEFAULT_PEEK_BYTES;

  /** @return whether enabled, {@code null} when unset (when the policy has edge rules) */
  public @Nullable Boolean getEnabled() {
    return enabled;
  }

  /** @param enabled whether enabled, {@code null} for when the policy has edge rules */
  public void setEnabled(@Nullable Boolean enabled) {
    this.enabled = enabled;
  }

  /** @return the filter order, {@code null} when unset (after Spring Security's filter chain) */
  public @Nullable Integer getOrder() {
    return order;
  }

  /** @param order the filter order, {@code null} for right after Spring Security's filter chain */
  public void setOrder(@Nullable Integer order) {
    this.order = order;
  }

  /** @return the most bytes of a body read ahead */
  public int getPeekBytes() {
    return peekBytes;
  }

  /** @param peekBytes the most bytes of a body read ahead, 0 to 65536 */
  public void setPeekBytes(int peekBytes) {
    this.peekBytes = peekBytes;
  }
}
