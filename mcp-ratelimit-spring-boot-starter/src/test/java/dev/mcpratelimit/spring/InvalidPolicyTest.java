package dev.mcpratelimit.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.policy.PolicyException;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.core.NestedExceptionUtils;

/** A policy with a mistake stops start-up, naming the file, line, column and field. */
class InvalidPolicyTest {
  @Test
  void startUpFailsWithTheLocatedProblem() {
    Throwable t = assertThrows(Throwable.class, () -> new SpringApplicationBuilder(TestMcpApp.class)
        .properties("server.port=0", "spring.ai.mcp.server.protocol=STREAMABLE",
            "mcp.ratelimit.policy=classpath:bad-policy.yaml")
        .run().close());
    Throwable root = NestedExceptionUtils.getMostSpecificCause(t);
    assertTrue(root instanceof PolicyException, root.toString());
    PolicyException p = (PolicyException) root;
    assertEquals(2, p.problems().size(), p.getMessage()); // the misspelt field, and so a rule without a limit
    String problem = p.problems().get(0).toString();
    assertTrue(problem.startsWith("classpath:bad-policy.yaml:5:24: "), problem);
    assertTrue(problem.contains("tools.create_issue.rules[0].rateLimt: unknown field 'rateLimt' (did you mean 'rateLimit'?)"), problem);
  }

  @Test
  void aMissingPolicyFileNamesTheProperty() {
    Throwable t = assertThrows(Throwable.class, () -> new SpringApplicationBuilder(TestMcpApp.class)
        .properties("server.port=0", "spring.ai.mcp.server.protocol=STREAMABLE",
            "mcp.ratelimit.policy=classpath:no-such-policy.yaml")
        .run().close());
    String message = NestedExceptionUtils.getMostSpecificCause(t).getMessage();
    assertTrue(message.contains("classpath:no-such-policy.yaml") && message.contains("mcp.ratelimit.policy"), message);
  }
}
