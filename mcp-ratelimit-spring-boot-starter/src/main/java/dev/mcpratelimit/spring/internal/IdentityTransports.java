package dev.mcpratelimit.spring.internal;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import org.springframework.ai.mcp.server.common.autoconfigure.properties.McpServerSseProperties;
import org.springframework.ai.mcp.server.common.autoconfigure.properties.McpServerStreamableHttpProperties;
import org.springframework.ai.mcp.server.webmvc.transport.WebMvcSseServerTransportProvider;
import org.springframework.ai.mcp.server.webmvc.transport.WebMvcStatelessServerTransport;
import org.springframework.ai.mcp.server.webmvc.transport.WebMvcStreamableServerTransportProvider;
import tools.jackson.databind.json.JsonMapper;

/**
 * Builds Spring AI 2.0's three WebMVC transports as Spring AI's own auto-configuration does, from
 * the same {@code spring.ai.mcp.server.*} properties and JSON mapper, each with the
 * {@link IdentityContextExtractor}: the one place that knows how.
 */
public final class IdentityTransports {
  private final McpJsonMapper json;
  private final IdentityContextExtractor extractor;

  /**
   * @param jsonMapper Spring AI's {@code mcpServerJsonMapper}
   * @param extractor the identity every transport puts into the MCP transport context
   */
  public IdentityTransports(JsonMapper jsonMapper, IdentityContextExtractor extractor) {
    this.json = new JacksonMcpJsonMapper(jsonMapper);
    this.extractor = extractor;
  }

  /**
   * @param p {@code spring.ai.mcp.server.streamable-http.*}
   * @return the Streamable HTTP transport
   */
  public WebMvcStreamableServerTransportProvider streamable(McpServerStreamableHttpProperties p) {
    return WebMvcStreamableServerTransportProvider.builder().jsonMapper(json).contextExtractor(extractor)
        .mcpEndpoint(p.getMcpEndpoint())
        .keepAliveInterval(p.getKeepAliveInterval())
        .disallowDelete(p.isDisallowDelete())
        .build();
  }

  /**
   * @param p {@code spring.ai.mcp.server.streamable-http.*} (Spring AI reads the endpoint from there too)
   * @return the stateless transport
   */
  public WebMvcStatelessServerTransport stateless(McpServerStreamableHttpProperties p) {
    return WebMvcStatelessServerTransport.builder().jsonMapper(json).contextExtractor(extractor)
        .messageEndpoint(p.getMcpEndpoint())
        .build();
  }

  /**
   * @param p {@code spring.ai.mcp.server.*} SSE settings
   * @return the SSE transport
   */
  public WebMvcSseServerTransportProvider sse(McpServerSseProperties p) {
    return WebMvcSseServerTransportProvider.builder().jsonMapper(json).contextExtractor(extractor)
        .baseUrl(p.getBaseUrl())
        .sseEndpoint(p.getSseEndpoint())
        .messageEndpoint(p.getSseMessageEndpoint())
        .keepAliveInterval(p.getKeepAliveInterval())
        .build();
  }
}
