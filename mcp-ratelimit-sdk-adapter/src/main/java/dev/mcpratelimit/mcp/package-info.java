/**
 * Rate-limiting middleware for the MCP Java SDK. {@link dev.mcpratelimit.mcp.McpRateLimiting}
 * wraps tool, resource and prompt specifications so every call is decided by a
 * {@link dev.mcpratelimit.RateLimiter} first; {@link dev.mcpratelimit.mcp.IdentityExtractor} copies
 * the caller's identity from HTTP requests into the MCP transport context. Over stdio, where a
 * server process serves the one client that launched it and requests carry no identity,
 * {@link dev.mcpratelimit.mcp.McpRateLimiting.Builder#callerAttribute} states the caller once.
 */
@NullMarked
package dev.mcpratelimit.mcp;

import org.jspecify.annotations.NullMarked;
