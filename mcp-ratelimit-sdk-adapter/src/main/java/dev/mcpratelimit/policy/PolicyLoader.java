package dev.mcpratelimit.policy;

import dev.mcpratelimit.policy.internal.PolicyReader;
import dev.mcpratelimit.policy.internal.TreeParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Loads policy files (YAML or JSON, same schema; see {@code policy.schema.json} in this jar).
 * Every mistake is reported at once in a {@link PolicyException} naming the file, line, column
 * and field, and saying what was expected. Thread-safe (stateless).
 */
public final class PolicyLoader {
  /** Largest policy file accepted, in characters. */
  public static final int MAX_SIZE = 1 << 20;

  private PolicyLoader() {}

  /**
   * Loads a file; {@code .json} files are read as JSON, anything else as YAML.
   *
   * @param file the file
   * @return the policy
   * @throws PolicyException listing every problem, including an unreadable file
   */
  public static PolicyFile load(Path file) {
    String name = file.toString();
    String text;
    try {
      if (Files.size(file) > MAX_SIZE) {
        throw new PolicyException(List.of(new Problem(name, 0, 0, "", "file is larger than " + MAX_SIZE + " bytes")));
      }
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new PolicyException(List.of(new Problem(name, 0, 0, "", "cannot read the file: " + e)));
    }
    return parse(text, name, name.toLowerCase(Locale.ROOT).endsWith(".json"));
  }

  /**
   * Parses a policy from text.
   *
   * @param text the document
   * @param sourceName a name for messages, e.g. the file name
   * @param json whether the text is JSON (else YAML)
   * @return the policy
   * @throws PolicyException listing every problem
   */
  public static PolicyFile parse(String text, String sourceName, boolean json) {
    if (text.length() > MAX_SIZE) {
      throw new PolicyException(List.of(new Problem(sourceName, 0, 0, "", "policy is larger than " + MAX_SIZE + " characters")));
    }
    return PolicyReader.read(TreeParser.parse(text, sourceName, json), sourceName);
  }
}
