package dev.mcpratelimit.policy;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.internal.format.Durations;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code policy check FILE}: loads a policy file, prints the rules it understood as a table, and
 * exits non-zero (printing every problem with its location) when the file has mistakes.
 *
 * <pre>
 * ./mvnw -q -pl mcp-ratelimit-sdk-adapter -am install -DskipTests
 * ./mvnw -q -pl mcp-ratelimit-sdk-adapter exec:java -Dexec.args="check mcp-ratelimit-examples/src/main/resources/policies/github.yaml"
 * </pre>
 *
 * <p>The command-line jar ({@code mcp-ratelimit-cli}: {@code java -jar mcp-ratelimit-cli.jar check
 * FILE [--tools a,b,c]}) prints this table too, runs from any directory and also checks the names
 * the policy uses against the server's.
 */
public final class PolicyCli {
  private PolicyCli() {}

  /**
   * @param args {@code check FILE}
   */
  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /**
   * Runs the command.
   *
   * @param args the arguments
   * @param out where the table goes
   * @param err where problems go
   * @return the exit code: 0 ok, 1 problems in the file, 2 bad usage
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length != 2 || !"check".equals(args[0])) {
      err.println("usage: policy check FILE   (FILE: a .yaml, .yml or .json policy)");
      return 2;
    }
    PolicyFile f;
    try {
      f = PolicyLoader.load(Path.of(args[1]));
    } catch (PolicyException e) {
      for (Problem p : e.problems()) {
        err.println(p);
      }
      err.println(e.problems().size() + (e.problems().size() == 1 ? " problem" : " problems") + " in " + args[1]);
      return 1;
    }
    for (Problem w : f.warnings()) {
      err.println(w + " (warning)");
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"SELECTOR", "RULE", "LIMIT", "KEY", "COST", "MODE", "WAIT", "ON MISSING IDENTITY"});
    for (Rule r : f.policy().rules()) {
      rows.add(new String[] {
          r.methods().iterator().next().wireName() + " " + String.join(",", r.targets())
              + (r.when().isEmpty() ? "" : " when " + r.when()),
          r.name(),
          describeLimit(r),
          String.join("+", r.key().dimensions()),
          r.cost().toString(),
          r.mode().name().toLowerCase(java.util.Locale.ROOT),
          r.maxWait().isZero() ? "-" : Durations.compact(r.maxWait()),
          r.onMissingIdentity().name().toLowerCase(java.util.Locale.ROOT)});
    }
    int[] w = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        w[i] = Math.max(w[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        sb.append(String.format("%-" + w[i] + "s", row[i]));
        if (i < row.length - 1) {
          sb.append("  ");
        }
      }
      out.println(sb.toString().stripTrailing());
    }
    out.println();
    out.println(f.policy().rules().size() + " rules; unlisted " + f.policy().defaultAction().name().toLowerCase(java.util.Locale.ROOT)
        + "; hidden " + f.policy().hidden()
        + (f.policy().hideRules().isEmpty() ? "" : "; hidden from some " + f.policy().hideRules()) + "; denials as " + f.denialMode().name().toLowerCase(java.util.Locale.ROOT)
        + "; store failure " + f.policy().failureMode().name().toLowerCase(java.util.Locale.ROOT));
    return 0;
  }

  /**
   * Describes a rule's limit in one phrase, as the check table shows it, e.g. {@code 3/minute
   * (calendar, Z)}, {@code token bucket 10, refill 5/1s} or {@code 1 condition: [...]}.
   *
   * @param r the rule
   * @return the phrase
   */
  public static String describeLimit(Rule r) {
    LimitSpec spec = r.limit();
    if (spec == null) {
      return r.conditions().size() + " condition" + (r.conditions().size() == 1 ? "" : "s") + ": " + r.conditions();
    }
    if (spec instanceof LimitSpec.TokenBucket tb) {
      return "token bucket " + tb.capacity() + ", refill " + tb.refillTokens() + "/" + Durations.compact(tb.refillPeriod());
    } else if (spec instanceof LimitSpec.SlidingWindow sw) {
      return (sw.exact() ? "exact " : "") + "sliding " + sw.limit() + "/" + Durations.compact(sw.window());
    } else if (spec instanceof LimitSpec.CalendarWindow cw) {
      return cw.limit() + "/" + cw.unit().name().toLowerCase(java.util.Locale.ROOT) + " (calendar, " + cw.zone() + ")";
    }
    return "concurrency " + spec.limit();
  }
}
