package dev.mcpratelimit.mcp;

import io.modelcontextprotocol.client.McpSyncClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What an end-to-end scenario needs from a real SDK server and its real SDK clients, whatever the
 * transport: clients with an identity, the servers' fake clock, and their counters. Servers run
 * {@link DemoTools} under {@link DemoTools#policy()}.
 */
interface ScenarioFixture extends AutoCloseable {

  /** Every transport × server kind the scenarios run on. */
  enum Target {
    HTTP_SYNC, HTTP_ASYNC, HTTP_STATELESS, STDIO_SYNC, STDIO_ASYNC;

    /** Starts the server(s) of this target; clients are made with {@link ScenarioFixture#client}. */
    ScenarioFixture open(DenialMode mode) throws Exception {
      switch (this) {
        case HTTP_SYNC:
          return new McpServerFixture(McpServerFixture.Kind.SYNC, DemoTools.policy(), mode);
        case HTTP_ASYNC:
          return new McpServerFixture(McpServerFixture.Kind.ASYNC, DemoTools.policy(), mode);
        case HTTP_STATELESS:
          return new McpServerFixture(McpServerFixture.Kind.STATELESS, DemoTools.policy(), mode);
        case STDIO_SYNC:
          return new StdioFixture(false, mode);
        case STDIO_ASYNC:
          return new StdioFixture(true, mode);
        default:
          throw new AssertionError(this);
      }
    }
  }

  /**
   * A connected, initialized client identifying as {@code user} in {@code tenant} (either may be
   * null: absent). Over HTTP a new client of the one server, identity in gateway headers; over
   * stdio a new server process launched as that caller, since a stdio server serves one client.
   */
  McpSyncClient client(@Nullable String user, @Nullable String tenant);

  /**
   * @return whether every client talks to the same server, and so to the same limiter state;
   *     false over stdio, where each client is its own server process (limits shared across
   *     processes need a shared store such as Redis)
   */
  boolean oneServerForAllClients();

  /** Sets the fake clock of every server, including servers started later. */
  void setClock(Instant now);

  /** Advances the fake clock of every server, including servers started later. */
  void advanceClock(Duration d);

  /** @return how many times a demo tool's handler ran, summed over every server */
  int handlerCalls();

  /** @return every identity the limiters decided calls for, as {@code user@tenant} (see {@link DemoTools.CallerLog}) */
  Set<String> callers();
}
