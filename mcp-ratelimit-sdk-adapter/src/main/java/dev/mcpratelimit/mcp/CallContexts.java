package dev.mcpratelimit.mcp;

import dev.mcpratelimit.CallContext;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Builds the {@link CallContext} of one MCP call: method, target and arguments, then the identity
 * attributes in rising precedence: the configured caller defaults ({@link
 * McpRateLimiting.Builder#callerAttribute}), the transport context's ({@code user}, {@code tenant},
 * {@code session}, {@code client} and the map under {@link McpRateLimiting#ATTRIBUTES}), and the
 * exchange's session id and client name. Immutable and thread-safe.
 */
final class CallContexts {
  private static final String[] KNOWN = {CallContext.USER, CallContext.TENANT, CallContext.SESSION, CallContext.CLIENT};

  /** Default identity attributes as name, value, name, value…; empty unless configured. */
  private final String[] callerDefaults;

  /** @param callerDefaults the configured caller attributes, in the order they were set */
  CallContexts(Map<String, String> callerDefaults) {
    this.callerDefaults = new String[callerDefaults.size() * 2];
    int i = 0;
    for (Map.Entry<String, String> e : callerDefaults.entrySet()) {
      this.callerDefaults[i++] = e.getKey();
      this.callerDefaults[i++] = e.getValue();
    }
  }

  /** A call on a stateful sync server: identity from the exchange and its transport context. */
  CallContext of(CallContext.Method method, String target, @Nullable Map<String, Object> args, McpSyncServerExchange ex) {
    return of(method, target, args, ex.sessionId(), ex.getClientInfo(), ex.transportContext());
  }

  /** A call on a stateful async server: identity from the exchange and its transport context. */
  CallContext of(CallContext.Method method, String target, @Nullable Map<String, Object> args, McpAsyncServerExchange ex) {
    return of(method, target, args, ex.sessionId(), ex.getClientInfo(), ex.transportContext());
  }

  /** A call on a stateless server, or a listing: identity from the transport context only. */
  CallContext of(CallContext.Method method, String target, @Nullable Map<String, Object> args,
      @Nullable McpTransportContext transport) {
    return of(method, target, args, null, null, transport);
  }

  private CallContext of(CallContext.Method method, String target, @Nullable Map<String, Object> args,
      @Nullable String sessionId, McpSchema.@Nullable Implementation client, @Nullable McpTransportContext transport) {
    CallContext.Builder b = CallContext.of(method, target).arguments(args);
    for (int i = 0; i < callerDefaults.length; i += 2) {
      b.attribute(callerDefaults[i], callerDefaults[i + 1]); // defaults first: whatever the transport carries wins
    }
    if (transport != null) {
      copyAttributes(transport, b);
    }
    if (sessionId != null) {
      b.session(sessionId);
    }
    if (client != null && client.name() != null) {
      b.client(client.name());
    }
    return b.build();
  }

  private static void copyAttributes(McpTransportContext transport, CallContext.Builder b) {
    for (String k : KNOWN) {
      Object v = transport.get(k);
      if (v instanceof String s) {
        b.attribute(k, s);
      }
    }
    Object extra = transport.get(McpRateLimiting.ATTRIBUTES);
    if (extra instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (e.getKey() instanceof String k && e.getValue() instanceof String v) {
          b.attribute(k, v);
        }
      }
    }
  }
}
