/**
 * Spring Boot auto-configuration that rate-limits every tool, resource, resource template and
 * prompt a Spring AI MCP server registers, from a policy file ({@code mcp.ratelimit.policy}).
 * {@link dev.mcpratelimit.spring.McpRateLimitProperties} lists the settings;
 * {@link dev.mcpratelimit.spring.McpRateLimitIdentityResolver} is the one bean to define to take
 * over how callers are identified.
 */
@NullMarked
package dev.mcpratelimit.spring;

import org.jspecify.annotations.NullMarked;
