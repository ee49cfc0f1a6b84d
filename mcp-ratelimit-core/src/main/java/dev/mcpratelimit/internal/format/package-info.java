/**
 * How mcp-ratelimit writes durations for people: the one formatter the engine's denial messages,
 * the MCP adapter's denial rendering and the policy tools share. <strong>Not part of the
 * API</strong>: exported only to those modules of mcp-ratelimit, and may change in any release.
 */
@NullMarked
package dev.mcpratelimit.internal.format;

import org.jspecify.annotations.NullMarked;
