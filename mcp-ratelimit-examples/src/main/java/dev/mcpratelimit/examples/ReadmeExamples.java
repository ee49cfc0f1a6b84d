package dev.mcpratelimit.examples;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Cost;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.mcp.IdentityExtractor;
import dev.mcpratelimit.mcp.McpRateLimiting;
import dev.mcpratelimit.mcp.McpToolFilters;
import dev.mcpratelimit.micrometer.RateLimitMetrics;
import dev.mcpratelimit.policy.PolicyFile;
import dev.mcpratelimit.policy.PolicyLoader;
import dev.mcpratelimit.redis.RedisLimiterStore;
import dev.mcpratelimit.spi.LimiterStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.server.transport.HttpServletStatelessServerTransport;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The code examples of the top-level README, compiled here so they cannot rot. Each method is one
 * example; keep them in step with the README.
 */
final class ReadmeExamples {
  private ReadmeExamples() {}

  /** README "Quick start": an MCP server in three lines, from a policy file (every setting of the file applies). */
  static Object quickStart(HttpServletStreamableServerTransportProvider transport,
      List<McpServerFeatures.SyncToolSpecification> tools) {
    PolicyFile policy = PolicyLoader.load(Path.of("policy.yaml"));   // rules, denial mode, ...; or build a RateLimitPolicy in code
    McpRateLimiting limits = McpRateLimiting.builder(policy).build();
    return McpServer.sync(transport).tools(limits.wrapSyncTools(tools)).addToolFilter(McpToolFilters.sync(limits)).build();
  }

  /** README: identity from gateway headers for the servlet transports. */
  static HttpServletStreamableServerTransportProvider identity() {
    return HttpServletStreamableServerTransportProvider.builder()
        .contextExtractor(IdentityExtractor.builder().header("X-Tenant-Id", "tenant").build())
        .build();
  }

  /** An async server: waits are scheduled with Reactor, never blocking a thread. */
  static Object asyncServer(HttpServletStreamableServerTransportProvider transport, RateLimitPolicy policy,
      List<McpServerFeatures.AsyncToolSpecification> tools) {
    McpRateLimiting limits = McpRateLimiting.builder(policy).build();
    return McpServer.async(transport).tools(limits.wrapAsyncTools(tools)).addToolFilter(McpToolFilters.async(limits)).build();
  }

  /** A stateless server: identity comes from the transport context only. */
  static Object statelessServer(RateLimitPolicy policy, List<McpStatelessServerFeatures.SyncToolSpecification> tools) {
    HttpServletStatelessServerTransport transport = HttpServletStatelessServerTransport.builder()
        .contextExtractor(IdentityExtractor.builder().header("X-Tenant-Id", "tenant").build()).build();
    McpRateLimiting limits = McpRateLimiting.builder(policy).build();
    return McpServer.sync(transport).tools(limits.wrapStatelessSyncTools(tools)).addToolFilter(McpToolFilters.sync(limits)).build();
  }

  /** README "The engine, programmatically". */
  static void programmatic() {
    RateLimitPolicy policy = RateLimitPolicy.builder()
        .rule(Rule.builder("burst").targets("create_issue").limit(LimitSpec.calendarWindow(3, WindowUnit.MINUTE)).build())
        .rule(Rule.builder("spend").targets("create_charge").key(KeyResolvers.tenant())
            .cost(Cost.fromArgument("args.amount")).limit(LimitSpec.calendarWindow(1_000_000, WindowUnit.DAY)).build())
        .build();
    RateLimiter limiter = RateLimiter.builder(policy).build();          // in-memory store, system clock
    Decision d = limiter.acquire(CallContext.tool("create_issue").user("alice").tenant("acme").build());
    if (d instanceof Decision.Granted g) {
      try {
        work();
        g.commit();
      } catch (RuntimeException e) {
        g.release();
        throw e;
      }
    } else {
      Decision.Denied denied = (Decision.Denied) d;   // rule, scope, limit, remaining, retryAfter(), resetAt, message
      System.out.println(denied.message() + " " + denied.retryAfter());
    }
  }

  private static void work() {}

  /** README "State in Redis". */
  static RateLimiter redis(RateLimitPolicy policy) {
    RedisLimiterStore store = RedisLimiterStore.builder("redis://localhost:6379").build();
    return RateLimiter.builder(policy).store(store).build();
  }

  /** README "Metrics". */
  static RateLimiter metrics(RateLimitPolicy policy, MeterRegistry meterRegistry) {
    LimiterStore store = LimiterStore.inMemory();
    RateLimitMetrics metrics = RateLimitMetrics.of(policy, store);
    RateLimiter limiter = RateLimiter.builder(policy).store(store).listener(metrics).build();
    metrics.bindTo(meterRegistry);
    return limiter;
  }

  /** A rule that waits instead of denying, with an upstream backoff. */
  static void waiting(RateLimiter limiter) throws InterruptedException {
    limiter.backoff(CallContext.tool("github_search").tenant("acme").build(), KeyResolvers.tenant(), Duration.ofSeconds(30));
    Decision d = limiter.acquireBlocking(CallContext.tool("github_search").tenant("acme").build());
    if (d instanceof Decision.Granted g) {
      g.commit();
    }
  }
}
