/** mcp-ratelimit redis integration (work in progress). */
@NullMarked
package dev.mcpratelimit.redis;

import org.jspecify.annotations.NullMarked;
