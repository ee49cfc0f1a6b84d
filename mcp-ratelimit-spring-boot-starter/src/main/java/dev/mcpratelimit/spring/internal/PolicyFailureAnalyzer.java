package dev.mcpratelimit.spring.internal;

import dev.mcpratelimit.policy.PolicyException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a start-up failure caused by a policy file with mistakes into a short report listing each, located. */
public final class PolicyFailureAnalyzer extends AbstractFailureAnalyzer<PolicyException> {
  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, PolicyException cause) {
    return new FailureAnalysis("The MCP rate-limit policy (mcp.ratelimit.policy) has mistakes; " + cause.getMessage(),
        "Fix the policy file (check it with the adapter's PolicyCli) or point mcp.ratelimit.policy at a valid one.", cause);
  }
}
