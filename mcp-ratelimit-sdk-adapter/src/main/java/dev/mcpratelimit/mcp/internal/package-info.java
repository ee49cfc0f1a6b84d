/**
 * Implementation details of the MCP adapter. <strong>Not part of the API</strong>: any type here
 * may change or disappear in any release.
 */
@NullMarked
package dev.mcpratelimit.mcp.internal;

import org.jspecify.annotations.NullMarked;
