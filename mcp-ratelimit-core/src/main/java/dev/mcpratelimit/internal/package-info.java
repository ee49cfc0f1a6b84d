/**
 * Implementation details of mcp-ratelimit. <strong>Not part of the API</strong>: any type here may
 * change or disappear in any release. Use the types of {@code dev.mcpratelimit} instead.
 */
@NullMarked
package dev.mcpratelimit.internal;

import org.jspecify.annotations.NullMarked;
