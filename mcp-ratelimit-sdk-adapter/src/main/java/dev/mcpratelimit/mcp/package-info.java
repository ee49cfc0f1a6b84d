/**
 * Rate-limiting middleware for the MCP Java SDK. {@link dev.mcpratelimit.mcp.McpRateLimiting}
 * wraps tool, resource and prompt specifications so every call is decided by a
 * {@link dev.mcpratelimit.RateLimiter} first; {@link dev.mcpratelimit.mcp.IdentityExtractor} copies
 * the caller's identity from HTTP requests into the MCP transport context.
 */
@NullMarked
package dev.mcpratelimit.mcp;

import org.jspecify.annotations.NullMarked;
