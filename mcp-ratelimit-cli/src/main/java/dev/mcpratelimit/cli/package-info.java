/**
 * The {@code mcp-ratelimit} command line: {@code check}, {@code explain}, {@code simulate} and
 * {@code bench} a policy file. Entry point {@link dev.mcpratelimit.cli.Main}.
 */
@NullMarked
package dev.mcpratelimit.cli;

import org.jspecify.annotations.NullMarked;
