package dev.mcpratelimit.policy;

import java.util.List;

/** A policy file has mistakes; {@link #problems()} lists every one found, in file order. */
public final class PolicyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient List<Problem> problems;

  /** @param problems the mistakes, at least one */
  public PolicyException(List<Problem> problems) {
    super(format(problems), null);
    this.problems = List.copyOf(problems);
  }

  private static String format(List<Problem> problems) {
    StringBuilder sb = new StringBuilder(problems.size() == 1 ? "1 problem" : problems.size() + " problems")
        .append(" in policy:");
    for (Problem p : problems) {
      sb.append(System.lineSeparator()).append("  ").append(p);
    }
    return sb.toString();
  }

  /** @return every problem, in file order */
  public List<Problem> problems() {
    return problems;
  }
}
