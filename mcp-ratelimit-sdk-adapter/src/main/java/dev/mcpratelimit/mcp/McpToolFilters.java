package dev.mcpratelimit.mcp;

import io.modelcontextprotocol.server.McpAsyncListFilter;
import io.modelcontextprotocol.server.McpSyncListFilter;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * {@code tools/list} filters that remove the tools a policy hides from the caller ({@link
 * McpRateLimiting#isVisible}: plain {@code hide} names and per-identity {@code {tool, when, unless}}
 * entries), for MCP SDK 2.1 and later (the list-filter API, {@code McpSyncListFilter}, does not
 * exist in 2.0). A call to a tool hidden from its caller is denied by the same predicate. Kept apart from
 * {@link McpRateLimiting} so that class loads and works on SDK 2.0 too; use this class only where
 * {@link #available()} is true. The filters read the limiter's current policy on every listing, so
 * a reloaded policy takes effect at once.
 *
 * <pre>{@code
 * McpServer.sync(transport).tools(limits.wrapSyncTools(tools))
 *     .addToolFilter(McpToolFilters.sync(limits)).build();
 * }</pre>
 */
public final class McpToolFilters {
  private static final String FILTER_CLASS = "io.modelcontextprotocol.server.McpSyncListFilter";

  private McpToolFilters() {}

  /**
   * Whether the MCP SDK on the class path has list filters (2.1 and later). Safe to call on any
   * SDK version.
   *
   * @return true if {@link #sync} and {@link #async} can be used
   */
  public static boolean available() {
    try {
      Class.forName(FILTER_CLASS, false, McpToolFilters.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /**
   * @param limits the rate limiting whose policy decides what is hidden
   * @return a filter for sync and stateless sync servers
   */
  public static McpSyncListFilter<McpSchema.Tool> sync(McpRateLimiting limits) {
    Objects.requireNonNull(limits, "limits");
    return (ctx, tool) -> limits.isVisible(ctx, tool.name());
  }

  /**
   * @param limits the rate limiting whose policy decides what is hidden
   * @return a filter for async and stateless async servers
   */
  public static McpAsyncListFilter<McpSchema.Tool> async(McpRateLimiting limits) {
    Objects.requireNonNull(limits, "limits");
    return (ctx, tool) -> Mono.just(limits.isVisible(ctx, tool.name()));
  }
}
