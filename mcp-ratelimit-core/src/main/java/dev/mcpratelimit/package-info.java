/**
 * mcp-ratelimit core API: limit specifications, single-key limiters, the clock, and (in later
 * types) rules, policies and the rate limiter engine. Contains no MCP or JSON types.
 *
 * <p>Everything here is null-marked: parameters and return values are non-null unless annotated
 * {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.mcpratelimit;

import org.jspecify.annotations.NullMarked;
