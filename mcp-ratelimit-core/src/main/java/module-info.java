/**
 * The core of mcp-ratelimit: limits, rules, policies, the {@link dev.mcpratelimit.RateLimiter}
 * engine and the store SPI. No MCP types.
 *
 * <p>Exports only the API ({@code dev.mcpratelimit}) and the store SPI ({@code dev.mcpratelimit.spi}).
 * The implementation package {@code dev.mcpratelimit.internal} is exported to the jdbc store alone,
 * which shares the calendar-window arithmetic with the in-memory store; {@code
 * dev.mcpratelimit.internal.format} (the one duration formatter) to the MCP adapter and the command
 * line, which render denials and policies with the engine's wording; the engine's seams ({@code
 * dev.mcpratelimit.internal.seam}: the non-blocking reserve step) to the adapter and the CLI.
 *
 * <p>re2j has no module descriptor or {@code Automatic-Module-Name}; it is required by the name Java
 * derives from its jar file, {@code re2j}.
 *
 * @uses dev.mcpratelimit.spi.StoreProvider to open the store a policy file's {@code store} section names
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.mcpratelimit {
  requires transitive org.jspecify;
  requires com.github.benmanes.caffeine;
  requires re2j;

  exports dev.mcpratelimit;
  exports dev.mcpratelimit.spi;
  exports dev.mcpratelimit.internal to dev.mcpratelimit.jdbc;
  exports dev.mcpratelimit.internal.format to dev.mcpratelimit.mcp, dev.mcpratelimit.cli;
  exports dev.mcpratelimit.internal.seam to dev.mcpratelimit.mcp, dev.mcpratelimit.cli;

  uses dev.mcpratelimit.spi.StoreProvider;
}
