/**
 * Seams of the engine for the adapter's asynchronous path, the CLI's simulator and tests: the
 * non-blocking {@link dev.mcpratelimit.internal.seam.AsyncEngine#reserve reserve} step and the
 * {@link dev.mcpratelimit.internal.seam.Sleeper} of blocking waits. Not API: exported only to the
 * adapter and the CLI.
 */
@NullMarked
package dev.mcpratelimit.internal.seam;

import org.jspecify.annotations.NullMarked;
