package dev.mcpratelimit.cli;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.policy.PolicyCli;
import dev.mcpratelimit.policy.PolicyFile;
import dev.mcpratelimit.policy.PolicyNames;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code check POLICY [--tools NAMES] [--resources NAMES] [--prompts NAMES]}. */
@Command(name = "check", mixinStandardHelpOptions = true,
    description = {"Loads a policy file, prints the rules it defines, and reports every mistake with file, line, "
        + "column and field.",
        "With --tools (--resources, --prompts) also reports each rule or hide entry naming something the server "
            + "does not register, with the closest registered name — the same check the adapter runs when it wraps "
            + "a server's specifications."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the policy is valid and names only what is registered", "1:problems (printed to stderr)",
        "2:bad usage", "4:a names file cannot be read"})
final class CheckCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "POLICY", description = "a .yaml, .yml or .json policy file")
  Path policy;

  @Option(names = "--tools", paramLabel = "NAMES", description = "the tools the server registers: a,b,c or @file (one a line)")
  @Nullable String tools;

  @Option(names = "--resources", paramLabel = "NAMES", description = "the resource URIs (or URI templates) it registers")
  @Nullable String resources;

  @Option(names = "--prompts", paramLabel = "NAMES", description = "the prompts it registers")
  @Nullable String prompts;

  @Override
  public Integer call() {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    int code;
    try (PrintStream po = new PrintStream(o, true, StandardCharsets.UTF_8);
        PrintStream pe = new PrintStream(e, true, StandardCharsets.UTF_8)) {
      code = PolicyCli.run(new String[] {"check", policy.toString()}, po, pe);
    }
    spec.commandLine().getOut().print(o.toString(StandardCharsets.UTF_8));
    spec.commandLine().getErr().print(e.toString(StandardCharsets.UTF_8));
    if (code != 0) {
      return Main.PROBLEMS;
    }
    PolicyFile f = Policies.load(policy, spec.commandLine().getErr());
    if (f == null) {
      return Main.PROBLEMS;
    }
    List<PolicyNames.Unregistered> found = new ArrayList<>();
    int kinds = 0;
    if (tools != null) {
      found.addAll(PolicyNames.unregistered(f.policy(), CallContext.Method.TOOLS_CALL, Policies.names(tools)));
      kinds++;
    }
    if (resources != null) {
      found.addAll(PolicyNames.unregistered(f.policy(), CallContext.Method.RESOURCES_READ, Policies.names(resources)));
      kinds++;
    }
    if (prompts != null) {
      found.addAll(PolicyNames.unregistered(f.policy(), CallContext.Method.PROMPTS_GET, Policies.names(prompts)));
      kinds++;
    }
    for (PolicyNames.Unregistered u : found) {
      spec.commandLine().getErr().println(policy + ": " + u.message());
    }
    if (!found.isEmpty()) {
      spec.commandLine().getErr().println(found.size() + (found.size() == 1 ? " name" : " names")
          + " the server does not register");
      return Main.PROBLEMS;
    }
    if (kinds > 0) {
      spec.commandLine().getOut().println("Every name the policy uses is registered.");
    }
    return Main.OK;
  }
}
