package dev.mcpratelimit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every command's output, exit code included, against a golden file under
 * {@code src/test/resources/golden}. After an intended change, regenerate them with
 * {@code -Dgolden.update=true} and review the diff.
 */
class GoldenOutputTest {
  static String res(String name) {
    return Cli.resource(name).toString();
  }

  static Stream<Arguments> commands() {
    String shop = res("policies/shop.yaml");
    String trace = res("traces/shop.jsonl");
    return Stream.of(
        Arguments.of("help", new String[] {"--help"}),
        Arguments.of("help-check", new String[] {"check", "--help"}),
        Arguments.of("help-explain", new String[] {"explain", "--help"}),
        Arguments.of("help-simulate", new String[] {"simulate", "--help"}),
        Arguments.of("help-bench", new String[] {"bench", "--help"}),
        Arguments.of("no-command", new String[] {}),
        Arguments.of("check-valid", new String[] {"check", shop, "--tools", "@" + res("policies/tools.txt")}),
        Arguments.of("check-typo", new String[] {"check", res("policies/typo.yaml"), "--tools", "create_issue,delete_repository"}),
        Arguments.of("check-bad", new String[] {"check", res("policies/bad.yaml")}),
        Arguments.of("check-missing-names-file", new String[] {"check", shop, "--tools", "@" + res("policies") + "/none.txt"}),
        Arguments.of("explain-granted", new String[] {"explain", shop, "--tool", "create_charge", "--user", "alice", "--tenant", "acme",
            "--args", "{\"amount\":500}", "--at", "2026-11-30T09:00:00Z"}),
        Arguments.of("explain-condition", new String[] {"explain", shop, "--tool", "create_charge", "--user", "alice", "--tenant", "acme",
            "--args", "{\"amount\":60000}", "--at", "2026-11-30T09:00:00Z"}),
        Arguments.of("explain-hidden", new String[] {"explain", shop, "--tool", "delete_repository", "--user", "bob",
            "--at", "2026-11-30T09:00:00Z"}),
        Arguments.of("explain-missing-identity", new String[] {"explain", shop, "--tool", "create_issue", "--at", "2026-11-30T09:00:00Z"}),
        Arguments.of("explain-bad-args", new String[] {"explain", shop, "--tool", "create_charge", "--args", "[1]"}),
        Arguments.of("simulate-text", new String[] {"simulate", shop, "--trace", trace}),
        Arguments.of("simulate-json", new String[] {"simulate", shop, "--trace", trace, "--format", "json"}),
        Arguments.of("simulate-html", new String[] {"simulate", shop, "--trace", trace, "--format", "html"}),
        Arguments.of("simulate-compare", new String[] {"simulate", shop, "--trace", trace, "--compare", res("policies/shop-relaxed.yaml")}),
        Arguments.of("simulate-missing-trace", new String[] {"simulate", shop, "--trace", res("traces") + "/none.jsonl"}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("commands")
  void outputMatchesTheGoldenFile(String name, String[] args) throws IOException {
    String actual = Cli.run(args).transcript(args);
    Path golden = Path.of("src/test/resources/golden", name + ".txt");
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(golden, actual, StandardCharsets.UTF_8);
      return;
    }
    var in = GoldenOutputTest.class.getResourceAsStream("/golden/" + name + ".txt");
    assertEquals(true, in != null, "no golden/" + name + ".txt (generate it with -Dgolden.update=true)");
    String expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(expected, actual, "golden/" + name + ".txt (regenerate with -Dgolden.update=true)");
  }
}
