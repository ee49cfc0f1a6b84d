/**
 * The MCP Java SDK adapter: rate-limited tool, resource and prompt specifications
 * ({@code dev.mcpratelimit.mcp}), policy files ({@code dev.mcpratelimit.policy}) and recorded
 * traffic ({@code dev.mcpratelimit.trace}).
 *
 * <p>Exports only those three API packages; {@code dev.mcpratelimit.mcp.internal} and
 * {@code dev.mcpratelimit.policy.internal} stay inside. The Jakarta Servlet API is needed only by
 * {@link dev.mcpratelimit.mcp.IdentityExtractor}, on a servlet transport.
 */
// "exports": IdentityExtractor names HttpServletRequest; servlet users have the API already
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic", "exports"})
module dev.mcpratelimit.mcp {
  requires transitive dev.mcpratelimit;
  requires transitive io.modelcontextprotocol.sdk.mcp;
  requires transitive io.modelcontextprotocol.sdk.mcp.core;
  requires transitive reactor.core;
  requires tools.jackson.core;
  requires tools.jackson.databind;
  requires tools.jackson.dataformat.yaml;
  requires org.slf4j;
  requires static jakarta.servlet;

  exports dev.mcpratelimit.mcp;
  exports dev.mcpratelimit.policy;
  exports dev.mcpratelimit.trace;
}
