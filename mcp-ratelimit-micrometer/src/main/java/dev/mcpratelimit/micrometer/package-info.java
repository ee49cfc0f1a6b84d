/** mcp-ratelimit micrometer integration (work in progress). */
@NullMarked
package dev.mcpratelimit.micrometer;

import org.jspecify.annotations.NullMarked;
