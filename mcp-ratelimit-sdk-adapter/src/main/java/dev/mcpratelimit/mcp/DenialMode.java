package dev.mcpratelimit.mcp;

/** How a denied tool call is reported to the client. */
public enum DenialMode {
  /**
   * As a successful JSON-RPC response carrying a {@code CallToolResult} with {@code isError=true},
   * a text an LLM can act on and the structured denial (the default: agents see it and adapt).
   */
  RESULT,
  /** As a JSON-RPC error ({@code McpError}) with the structured denial as {@code data}. */
  ERROR,
  /**
   * <b>Provisional</b>, following SEP-3304 ("Standardizing Rate-Limiting Errors", a draft MCP
   * proposal, not yet accepted; this shape changes if the SEP does): a rate-limit denial that
   * knows when to retry is a JSON-RPC error with code {@value
   * dev.mcpratelimit.mcp.internal.RateLimitedError#CODE} whose {@code data} starts with
   * {@code retryAfterMs} (and {@code limit} and {@code remaining} when the limit is known),
   * followed by the fields of the structured denial. A denial because an upstream throttled
   * (SEP-3304 keeps those tool errors) stays a {@code CallToolResult} with {@code isError}; every
   * other denial (hidden, condition, a cost above the limit, a concurrency limit without a retry
   * time) is reported as in {@link #ERROR}.
   */
  RATE_LIMITED_ERROR
}
