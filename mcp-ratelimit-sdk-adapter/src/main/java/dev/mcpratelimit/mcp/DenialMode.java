package dev.mcpratelimit.mcp;

/** How a denied tool call is reported to the client. */
public enum DenialMode {
  /**
   * As a successful JSON-RPC response carrying a {@code CallToolResult} with {@code isError=true},
   * a text an LLM can act on and the structured denial (the default: agents see it and adapt).
   */
  RESULT,
  /** As a JSON-RPC error ({@code McpError}) with the structured denial as {@code data}. */
  ERROR
}
