package dev.mcpratelimit.policy;

import java.util.Objects;

/**
 * One mistake in a policy file.
 *
 * @param source the file name (or the name given to the text)
 * @param line 1-based line, 0 when unknown
 * @param column 1-based column, 0 when unknown
 * @param path the field path, e.g. {@code tools.create_issue.rules[0].rateLimit}
 * @param message what is wrong and what was expected
 */
public record Problem(String source, int line, int column, String path, String message) {
  /** Validates. */
  public Problem {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return source + ":" + line + ":" + column + ": " + (path.isEmpty() ? "" : path + ": ") + message;
  }
}
