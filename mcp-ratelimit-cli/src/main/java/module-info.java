/**
 * The {@code mcp-ratelimit} command line ({@link dev.mcpratelimit.cli.Main}): {@code check},
 * {@code explain}, {@code simulate} and {@code bench} a policy file. Usually run as the shaded
 * {@code mcp-ratelimit-cli.jar} on the class path; this descriptor applies when the jar is on a
 * module path.
 *
 * <p>Exports {@code dev.mcpratelimit.cli} only. picocli reads the commands' options by reflection,
 * and JMH runs the benchmarks of {@code dev.mcpratelimit.cli.bench} through the classes it generates;
 * those packages are opened to them and to no one else. JMH has no module descriptor or
 * {@code Automatic-Module-Name}: it is required by the name Java derives from its jar file.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.mcpratelimit.cli {
  requires dev.mcpratelimit.mcp;
  requires info.picocli;
  requires jmh.core;
  requires tools.jackson.core;
  requires tools.jackson.databind;

  exports dev.mcpratelimit.cli;

  opens dev.mcpratelimit.cli to info.picocli;
  opens dev.mcpratelimit.cli.bench to jmh.core;
  opens dev.mcpratelimit.cli.bench.jmh_generated to jmh.core;
}
