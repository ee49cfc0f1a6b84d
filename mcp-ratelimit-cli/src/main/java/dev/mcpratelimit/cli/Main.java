package dev.mcpratelimit.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code java -jar mcp-ratelimit-cli.jar COMMAND}: check, explain, simulate and bench a policy
 * file. Exit codes: {@value #OK} success (for {@code explain}: the call is granted),
 * {@value #PROBLEMS} the policy has problems or names what the server does not register,
 * {@value #USAGE} bad usage, {@value #DENIED} {@code explain}: the call is denied,
 * {@value #INPUT} a trace or names file cannot be read or is malformed.
 */
@Command(name = "mcp-ratelimit", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Check, explain, simulate and benchmark an mcp-ratelimit policy file.",
    subcommands = {CheckCommand.class, ExplainCommand.class, SimulateCommand.class, BenchCommand.class,
        CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success (explain: the call is granted)",
        "1:the policy has problems, or names what the server does not register",
        "2:bad usage", "3:explain: the call is denied", "4:a trace or names file cannot be read or is malformed"})
public final class Main implements Runnable {
  /** Success; for {@code explain}, the call is granted. */
  public static final int OK = 0;
  /** The policy has problems, or names tools, resources or prompts the server does not register. */
  public static final int PROBLEMS = 1;
  /** Bad usage. */
  public static final int USAGE = 2;
  /** {@code explain}: the call is denied. */
  public static final int DENIED = 3;
  /** A trace or names file cannot be read or is malformed. */
  public static final int INPUT = 4;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** @param args the command line */
  public static void main(String[] args) {
    System.exit(run(System.out, System.err, args));
  }

  /**
   * Runs a command line.
   *
   * @param out standard output
   * @param err standard error
   * @param args the arguments
   * @return the exit code
   */
  public static int run(PrintStream out, PrintStream err, String... args) {
    CommandLine cl = new CommandLine(new Main());
    cl.setExpandAtFiles(false); // @file means a file of names to check, read by the command itself
    cl.setOut(new PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), true));
    cl.setErr(new PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true));
    cl.setExecutionExceptionHandler((e, line, parsed) -> {
      if (e instanceof InputException) {
        line.getErr().println(e.getMessage());
        return INPUT;
      }
      throw e;
    });
    int code = cl.execute(args);
    cl.getOut().flush();
    cl.getErr().flush();
    return code;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: check, explain, simulate or bench");
  }

  /** A file the command reads is missing or malformed (exit {@value #INPUT}). */
  static final class InputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InputException(String message) {
      super(message);
    }
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"mcp-ratelimit-cli " + (v == null ? "(development build)" : v)};
    }
  }
}
