/** Test fixtures shared by every module's tests (published in the core test-jar). */
@NullMarked
package dev.mcpratelimit.testing;

import org.jspecify.annotations.NullMarked;
