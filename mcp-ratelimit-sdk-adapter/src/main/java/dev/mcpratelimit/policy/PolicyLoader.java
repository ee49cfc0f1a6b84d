package dev.mcpratelimit.policy;

import dev.mcpratelimit.policy.internal.PolicyReader;
import dev.mcpratelimit.policy.internal.TreeParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
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
  /** Largest policy accepted: {@value} bytes in a file, {@value} characters in a text. */
  public static final int MAX_SIZE = 1 << 20;

  private PolicyLoader() {}

  /**
   * Loads a file; {@code .json} files are read as JSON, anything else as YAML. Only a regular
   * file (or a link to one) is read, and at most {@link #MAX_SIZE} bytes of it: a directory, a
   * device such as {@code /dev/zero} or a named pipe fails at once, never blocks or fills memory.
   *
   * @param file the file
   * @return the policy
   * @throws PolicyException listing every problem, including an unreadable file
   */
  public static PolicyFile load(Path file) {
    String name = file.toString();
    return parse(read(file, name), name, name.toLowerCase(Locale.ROOT).endsWith(".json"));
  }

  private static String read(Path file, String name) {
    if (!Files.isRegularFile(file)) {
      String what = Files.isDirectory(file) ? "is a directory" : Files.exists(file)
          ? "is not a regular file (a device, pipe or socket)" : "does not exist";
      throw problem(name, "cannot read the policy: " + name + " " + what);
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_SIZE + 1); // bounded even if the file grows while it is read
    } catch (IOException e) {
      throw problem(name, "cannot read the file: " + e);
    }
    if (bytes.length > MAX_SIZE) {
      throw problem(name, "file is larger than " + MAX_SIZE + " bytes");
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw problem(name, "the file is not UTF-8 text");
    }
  }

  private static PolicyException problem(String name, String message) {
    return new PolicyException(List.of(new Problem(name, 0, 0, "", message)));
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
