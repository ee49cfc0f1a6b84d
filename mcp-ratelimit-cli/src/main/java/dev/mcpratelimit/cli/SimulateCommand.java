package dev.mcpratelimit.cli;

import dev.mcpratelimit.cli.internal.HtmlReport;
import dev.mcpratelimit.cli.internal.JsonReport;
import dev.mcpratelimit.cli.internal.Simulation;
import dev.mcpratelimit.cli.internal.Simulator;
import dev.mcpratelimit.cli.internal.TextReport;
import dev.mcpratelimit.policy.PolicyFile;
import dev.mcpratelimit.trace.TraceEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code simulate POLICY --trace calls.jsonl [--format text|json|html] [--compare OTHER] [--out FILE]}. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = {"Replays a recorded trace through the real engine on a virtual clock, as fast as the machine goes, "
        + "and reports what the policy would have done: allowed and denied calls per rule and per identity, the "
        + "first denial, each rule's peak usage against its limit, and the retry-after distribution.",
        "The html format draws each rule's usage against its limit over time; --compare replays the same trace "
            + "through a second policy and puts the two side by side."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:simulated", "1:a policy has problems", "2:bad usage", "4:a trace cannot be read or is malformed"})
final class SimulateCommand implements Callable<Integer> {
  enum Format { text, json, html }

  @Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "POLICY", description = "the policy to replay the trace through")
  Path policy;

  @Option(names = "--trace", paramLabel = "FILE", required = true,
      description = "a JSON Lines trace (as TraceRecorder writes); repeat for rotated files, oldest first")
  List<Path> traces = new ArrayList<>();

  @Option(names = "--format", paramLabel = "FORMAT", description = "text (default), json or html")
  Format format = Format.text;

  @Option(names = "--compare", paramLabel = "OTHER_POLICY", description = "a second policy, replayed on the same trace")
  @Nullable Path compare;

  @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "write the report here instead of standard output")
  @Nullable Path out;

  @Override
  public Integer call() throws IOException {
    PolicyFile a = Policies.load(policy, spec.commandLine().getErr());
    PolicyFile b = compare == null ? null : Policies.load(compare, spec.commandLine().getErr());
    if (a == null || (compare != null && b == null)) {
      return Main.PROBLEMS;
    }
    List<TraceEvent> events = Policies.trace(traces);
    List<Simulation> runs = new ArrayList<>();
    runs.add(Simulator.run(policy.getFileName().toString(), a.policy(), events));
    if (b != null) {
      runs.add(Simulator.run(label(compare, policy), b.policy(), events));
    }
    String report;
    switch (format) {
      case json:
        report = JsonReport.render(runs);
        break;
      case html:
        report = HtmlReport.render(runs);
        break;
      default:
        report = runs.size() == 1 ? TextReport.render(runs.get(0)) : TextReport.compare(runs.get(0), runs.get(1));
    }
    if (out != null) {
      Files.writeString(out, report, StandardCharsets.UTF_8);
      spec.commandLine().getOut().println("Wrote " + out);
    } else {
      spec.commandLine().getOut().print(report);
    }
    return Main.OK;
  }

  /** The second policy's name; its path when the file names are equal. */
  private static String label(Path other, Path first) {
    String n = other.getFileName().toString();
    return n.equals(first.getFileName().toString()) ? other.toString() : n;
  }
}
