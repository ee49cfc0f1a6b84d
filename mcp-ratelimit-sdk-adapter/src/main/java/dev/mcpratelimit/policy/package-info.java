/**
 * Declarative policy files (YAML or JSON, one schema): {@link dev.mcpratelimit.policy.PolicyLoader}
 * reads them into a {@link dev.mcpratelimit.RateLimitPolicy}, reporting every mistake with file,
 * line, column and field; {@link dev.mcpratelimit.policy.PolicyReloader} swaps policies at run
 * time; {@link dev.mcpratelimit.policy.PolicyCli} checks a file from the command line.
 */
@NullMarked
package dev.mcpratelimit.policy;

import org.jspecify.annotations.NullMarked;
