package dev.mcpratelimit.spring.internal;

import dev.mcpratelimit.mcp.McpRateLimiting;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpStatelessServerHandler;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStatelessServerTransport;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import reactor.core.publisher.Mono;

/**
 * Leaves the tools a policy hides from the caller ({@link McpRateLimiting#isVisible}) out of a
 * stateless server's {@code tools/list} answers, on MCP SDK 2.0 and 2.1 alike.
 *
 * <p>Why here: the SDK 2.1 stateless builder has {@code addToolFilter}, but Spring AI 2.0 builds
 * its stateless servers in bean methods that take no customizer and cannot be replaced
 * ({@code McpServerStatelessAutoConfiguration.mcpStatelessSyncServer} is not
 * {@code @ConditionalOnMissingBean}). What such a server does take is the
 * {@link McpStatelessServerTransport} bean, and every server hands that transport its request
 * handler ({@link #setMcpHandler}). This transport forwards everything to the WebMVC transport
 * and puts a handler in front of the server's that filters the {@link McpSchema.ListToolsResult}
 * of {@code tools/list} by the caller's transport context, the same predicate that denies a call
 * to a hidden tool. Other requests pass straight through.
 */
public final class HiddenToolsStatelessTransport implements McpStatelessServerTransport {
  private final McpStatelessServerTransport delegate;
  private final ObjectProvider<McpRateLimiting> limits;

  /**
   * @param delegate the transport that serves the requests
   * @param limits the rate limiting whose policy decides what is hidden, looked up when the server starts
   */
  public HiddenToolsStatelessTransport(McpStatelessServerTransport delegate, ObjectProvider<McpRateLimiting> limits) {
    this.delegate = delegate;
    this.limits = limits;
  }

  @Override
  public void setMcpHandler(McpStatelessServerHandler handler) {
    delegate.setMcpHandler(new Filtering(handler, limits.getObject()));
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public Mono<Void> closeGracefully() {
    return delegate.closeGracefully();
  }

  @Override
  public List<String> protocolVersions() {
    return delegate.protocolVersions();
  }

  private record Filtering(McpStatelessServerHandler handler, McpRateLimiting limits) implements McpStatelessServerHandler {
    @Override
    public Mono<McpSchema.JSONRPCResponse> handleRequest(McpTransportContext ctx, McpSchema.JSONRPCRequest request) {
      Mono<McpSchema.JSONRPCResponse> response = handler.handleRequest(ctx, request);
      if (!McpSchema.METHOD_TOOLS_LIST.equals(request.method())) {
        return response;
      }
      return response.map(r -> r.result() instanceof McpSchema.ListToolsResult list ? visible(ctx, r, list) : r);
    }

    private McpSchema.JSONRPCResponse visible(McpTransportContext ctx, McpSchema.JSONRPCResponse r,
        McpSchema.ListToolsResult list) {
      List<McpSchema.Tool> tools = list.tools();
      if (tools == null) {
        return r;
      }
      List<McpSchema.Tool> kept = null;
      for (int i = 0; i < tools.size(); i++) {
        McpSchema.Tool t = tools.get(i);
        boolean show = limits.isVisible(ctx, t.name());
        if (!show && kept == null) {
          kept = new ArrayList<>(tools.subList(0, i));
        } else if (show && kept != null) {
          kept.add(t);
        }
      }
      if (kept == null) {
        return r; // nothing hidden from this caller: the server's answer as it is
      }
      return new McpSchema.JSONRPCResponse(r.jsonrpc(), r.id(),
          new McpSchema.ListToolsResult(kept, list.nextCursor(), list.meta()), r.error());
    }

    @Override
    public Mono<Void> handleNotification(McpTransportContext ctx, McpSchema.JSONRPCNotification notification) {
      return handler.handleNotification(ctx, notification);
    }
  }
}
