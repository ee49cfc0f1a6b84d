/**
 * Implementation details of mcp-ratelimit-jdbc. <strong>Not part of the API</strong>: any type
 * here may change or disappear in any release.
 */
@NullMarked
package dev.mcpratelimit.jdbc.internal;

import org.jspecify.annotations.NullMarked;
