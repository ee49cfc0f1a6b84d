package dev.mcpratelimit.mcp;

import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.mcp.internal.Denials;
import dev.mcpratelimit.mcp.internal.RateLimitedError;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;

/**
 * Turns a denial into the MCP SDK's answer under the current {@link DenialMode}: a tool result
 * ({@code isError=true}) or an {@link McpError} (the configured code, or SEP-3304's). The text
 * and structured denial come from {@link Denials}. Thread-safe; the mode follows a reloaded policy.
 */
final class DenialResponses {
  private final int errorCode;
  /** Follows the policy file when one is reloaded through {@link McpRateLimiting#update}. */
  private volatile DenialMode mode;

  DenialResponses(DenialMode mode, int errorCode) {
    this.mode = mode;
    this.errorCode = errorCode;
  }

  DenialMode mode() {
    return mode;
  }

  void mode(DenialMode mode) {
    this.mode = mode;
  }

  /** Whether a tool denial is answered as a JSON-RPC error (else as a tool result). */
  boolean asError(Decision.Denied denied) {
    DenialMode m = mode;
    return m == DenialMode.ERROR || m == DenialMode.RATE_LIMITED_ERROR && denied.reason() != DenialReason.BACKOFF;
  }

  /** A tool's denial on the blocking path: the result, or thrown as the error. */
  McpSchema.CallToolResult toolResultOrThrow(Decision.Denied denied) {
    if (asError(denied)) {
      throw error(denied);
    }
    return result(denied);
  }

  /** See {@link McpRateLimiting#result}. */
  McpSchema.CallToolResult result(Decision.Denied denied) {
    return McpSchema.CallToolResult.builder()
        .addTextContent(Denials.text(denied))
        .structuredContent(Denials.structured(denied))
        .isError(true)
        .build();
  }

  /** See {@link McpRateLimiting#error}. */
  McpError error(Decision.Denied denied) {
    if (mode == DenialMode.RATE_LIMITED_ERROR && RateLimitedError.applies(denied)) {
      return McpError.builder(RateLimitedError.CODE).message(Denials.text(denied))
          .data(RateLimitedError.data(denied)).build();
    }
    return McpError.builder(errorCode).message(Denials.text(denied))
        .data(Denials.structured(denied)).build();
  }

  /** The error a sync call gets when its thread is interrupted while it waits for capacity. */
  McpError interrupted() {
    return McpError.builder(errorCode).message("interrupted while waiting for rate-limit capacity").build();
  }
}
