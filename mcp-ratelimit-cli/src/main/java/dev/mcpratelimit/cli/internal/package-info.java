/** The simulator (virtual clock, observing store, replay) and its text, JSON and HTML reports. */
@NullMarked
package dev.mcpratelimit.cli.internal;

import org.jspecify.annotations.NullMarked;
