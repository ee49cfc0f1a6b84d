package dev.mcpratelimit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The benchmark plumbing, not the figures: a smoke JMH run (in this JVM, one 20 ms iteration) of
 * the test policy produces a row per benchmark with a time and an allocation. Real figures come
 * from the default settings (forks, warm-up), see the module README.
 */
class BenchCommandTest {
  static final String[] SMOKE = {"--forks", "0", "--warmup", "0", "--iterations", "1", "--time", "20ms", "--quiet"};

  static String[] args(String... head) {
    String[] a = new String[head.length + SMOKE.length];
    System.arraycopy(head, 0, a, 0, head.length);
    System.arraycopy(SMOKE, 0, a, head.length, SMOKE.length);
    return a;
  }

  /** Numbers become N, the JVM version V: what stays is the table's shape and its row names. */
  static String shape(String out) {
    return out.replaceAll("JVM \\S+", "JVM V").replaceAll("(?<=\\s)\\d+(\\.\\d+)?(?=\\s|$)", "N")
        .replaceAll(" +", " ");
  }

  @Test
  void syntheticUsersBenchmarkTheDecisionAndEachRule() throws IOException {
    String[] a = args("bench", Cli.resource("policies/shop.yaml").toString(), "--synthetic", "users=1000,zipf=1.1,tenants=10");
    Cli r = Cli.run(a);
    assertEquals(0, r.code(), r.err());
    Matcher m = Pattern.compile("(?m)^full decision .*?\\s+(\\d+\\.\\d)\\s+\\S+\\s+(\\d+|-)$").matcher(r.out());
    assertTrue(m.find(), r.out());
    assertTrue(Double.parseDouble(m.group(1)) > 0, r.out());
    assertTrue(!m.group(2).equals("-"), "the GC profiler reports B/op: " + r.out());
    for (String rule : new String[] {"issue burst", "search", "daily spend cap", "one at a time", "tenant ceiling"}) {
      assertTrue(r.out().contains("rule '" + rule + "' alone: "), rule + " in " + r.out());
    }
    assertTrue(!r.out().contains("max single charge"), "a condition-only rule has no algorithm to benchmark");
    golden("bench-synthetic", shape(r.transcript(a)));
  }

  @Test
  void aTraceIsReplayedOnItsOwnTimeline() throws IOException {
    String[] a = args("bench", Cli.resource("policies/shop.yaml").toString(), "--trace",
        Cli.resource("traces/shop.jsonl").toString(), "--no-rules");
    Cli r = Cli.run(a);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("full decision (trace shop.jsonl (51 calls))"), r.out());
    assertTrue(!r.out().contains(" alone: "), r.out());
  }

  @Test
  void badSyntheticSettingsAreNamed() {
    Cli r = Cli.run(args("bench", Cli.resource("policies/shop.yaml").toString(), "--synthetic", "users=10,zipf=high"));
    assertEquals(Main.USAGE, r.code());
    assertTrue(r.err().startsWith("--synthetic: zipf: expected a number, but was 'high'"), r.err());
    r = Cli.run(args("bench", Cli.resource("policies/shop.yaml").toString(), "--synthetic", "user=10"));
    assertTrue(r.err().startsWith("--synthetic: unknown setting 'user'; expected users, zipf, tenants or rate"), r.err());
  }

  static void golden(String name, String actual) throws IOException {
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(Path.of("src/test/resources/golden", name + ".txt"), actual, StandardCharsets.UTF_8);
      return;
    }
    var in = BenchCommandTest.class.getResourceAsStream("/golden/" + name + ".txt");
    assertTrue(in != null, "no golden/" + name + ".txt (generate it with -Dgolden.update=true)");
    assertEquals(new String(in.readAllBytes(), StandardCharsets.UTF_8), actual, "golden/" + name + ".txt");
  }
}
