/** JMH benchmarks of a user's own policy, run programmatically by {@code bench}. */
@NullMarked
package dev.mcpratelimit.cli.bench;

import org.jspecify.annotations.NullMarked;
