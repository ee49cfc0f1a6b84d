/**
 * Rate-limiting middleware for the MCP Java SDK (filled in by the adapter work).
 */
@NullMarked
package dev.mcpratelimit.mcp;

import org.jspecify.annotations.NullMarked;
