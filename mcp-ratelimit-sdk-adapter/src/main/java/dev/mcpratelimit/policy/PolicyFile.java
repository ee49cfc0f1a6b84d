package dev.mcpratelimit.policy;

import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.mcp.DenialMode;
import java.util.Objects;

/**
 * A loaded policy file: the policy, plus the settings that concern the MCP adapter.
 *
 * @param source where it was read from
 * @param policy the rules, defaults and hidden tools
 * @param denialMode {@code defaults.denial}: how tool denials are reported
 */
public record PolicyFile(String source, RateLimitPolicy policy, DenialMode denialMode) {
  /** Validates. */
  public PolicyFile {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(denialMode, "denialMode");
  }
}
