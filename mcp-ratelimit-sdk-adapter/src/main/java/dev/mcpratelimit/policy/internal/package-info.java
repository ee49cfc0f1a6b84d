/** Implementation details of policy files. <strong>Not part of the API.</strong> */
@NullMarked
package dev.mcpratelimit.policy.internal;

import org.jspecify.annotations.NullMarked;
