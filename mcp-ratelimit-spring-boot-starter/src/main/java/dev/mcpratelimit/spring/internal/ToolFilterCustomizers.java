package dev.mcpratelimit.spring.internal;

import dev.mcpratelimit.mcp.McpRateLimiting;
import dev.mcpratelimit.mcp.McpToolFilters;
import org.springframework.ai.mcp.customizer.McpAsyncServerCustomizer;
import org.springframework.ai.mcp.customizer.McpSyncServerCustomizer;
import org.springframework.beans.factory.ObjectProvider;

/**
 * Adds the hidden-tool filter to Spring AI's server builders. Loaded only where the SDK has list
 * filters (2.1+): it names {@code addToolFilter}. Spring AI applies one customizer per server
 * (and defines one itself for servlet sync servers), so rather than adding a competing bean this
 * decorates whichever customizer bean exists; {@link #sync}/{@link #async} are registered only
 * when none does.
 */
public final class ToolFilterCustomizers {
  private ToolFilterCustomizers() {}

  /** Marks the customizers made here, so they are not decorated twice. */
  private interface Ours {}

  private record Sync(McpSyncServerCustomizer delegate, ObjectProvider<McpRateLimiting> limits)
      implements McpSyncServerCustomizer, Ours {
    @Override
    public void customize(io.modelcontextprotocol.server.McpServer.SyncSpecification<?> builder) {
      delegate.customize(builder);
      builder.addToolFilter(McpToolFilters.sync(limits.getObject()));
    }
  }

  private record Async(McpAsyncServerCustomizer delegate, ObjectProvider<McpRateLimiting> limits)
      implements McpAsyncServerCustomizer, Ours {
    @Override
    public void customize(io.modelcontextprotocol.server.McpServer.AsyncSpecification<?> builder) {
      delegate.customize(builder);
      builder.addToolFilter(McpToolFilters.async(limits.getObject()));
    }
  }

  static Object decorate(Object bean, ObjectProvider<McpRateLimiting> limits) {
    if (bean instanceof Ours) {
      return bean;
    }
    if (bean instanceof McpSyncServerCustomizer c) {
      return new Sync(c, limits);
    }
    if (bean instanceof McpAsyncServerCustomizer c) {
      return new Async(c, limits);
    }
    return bean;
  }

  /**
   * @param limits the rate limiting
   * @return a customizer that only adds the filter, for servers without a customizer bean
   */
  public static McpSyncServerCustomizer sync(ObjectProvider<McpRateLimiting> limits) {
    return new Sync(b -> { }, limits);
  }

  /**
   * @param limits the rate limiting
   * @return the async form of {@link #sync}
   */
  public static McpAsyncServerCustomizer async(ObjectProvider<McpRateLimiting> limits) {
    return new Async(b -> { }, limits);
  }
}
