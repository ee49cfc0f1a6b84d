/**
 * Recorded traffic: {@link dev.mcpratelimit.trace.TraceRecorder} writes every decided call of a
 * live server to a JSON Lines trace (identities hashed by default, bounded files, rotation);
 * {@link dev.mcpratelimit.trace.TraceEvent#read} reads it back, as the command-line simulator
 * does to replay the traffic through another policy.
 */
@NullMarked
package dev.mcpratelimit.trace;

import org.jspecify.annotations.NullMarked;
