package dev.mcpratelimit.policy;

import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.mcp.DenialMode;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A loaded policy file: the policy, plus the settings that concern the MCP adapter. Pass it whole
 * to {@code McpRateLimiting.builder(PolicyFile)} so that every setting of the file applies.
 *
 * @param source where it was read from
 * @param policy the rules, defaults and hidden tools
 * @param denialMode {@code defaults.denial}: how tool denials are reported
 * @param warnings what the file says that is legal but probably not meant (a missing
 *     {@code version}, the deprecated {@code default} key), located like problems; empty when none
 * @param store the {@code store} section: where limiter state lives; {@code null} when the file
 *     has none (state in memory unless the application chooses a store)
 */
public record PolicyFile(String source, RateLimitPolicy policy, DenialMode denialMode, List<Problem> warnings,
    @Nullable StoreSection store) {
  /** Validates and copies. */
  public PolicyFile {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(denialMode, "denialMode");
    warnings = List.copyOf(warnings);
  }

  /**
   * A policy file without a store section.
   *
   * @param source where it was read from
   * @param policy the rules, defaults and hidden tools
   * @param denialMode how tool denials are reported
   * @param warnings what the file says that is legal but probably not meant
   */
  public PolicyFile(String source, RateLimitPolicy policy, DenialMode denialMode, List<Problem> warnings) {
    this(source, policy, denialMode, warnings, null);
  }

  /**
   * A policy file without warnings.
   *
   * @param source where it was read from
   * @param policy the rules, defaults and hidden tools
   * @param denialMode how tool denials are reported
   */
  public PolicyFile(String source, RateLimitPolicy policy, DenialMode denialMode) {
    this(source, policy, denialMode, List.of());
  }
}
