/** Implementation of the Spring Boot starter; not API. */
@NullMarked
package dev.mcpratelimit.spring.internal;

import org.jspecify.annotations.NullMarked;
