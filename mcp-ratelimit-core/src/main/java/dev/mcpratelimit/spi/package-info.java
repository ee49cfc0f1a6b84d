/**
 * Service-provider interfaces: where limiter state lives ({@link dev.mcpratelimit.spi.LimiterStore})
 * and the values passed to it. Implement these to keep state somewhere new; users of the library
 * only pick a store.
 */
@NullMarked
package dev.mcpratelimit.spi;

import org.jspecify.annotations.NullMarked;
