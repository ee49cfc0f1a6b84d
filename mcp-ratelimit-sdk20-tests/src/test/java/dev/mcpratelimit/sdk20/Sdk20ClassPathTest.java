package dev.mcpratelimit.sdk20;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.mcpratelimit.mcp.IdentityExtractor;
import dev.mcpratelimit.mcp.McpRateLimiting;
import dev.mcpratelimit.mcp.McpToolFilters;
import io.modelcontextprotocol.server.McpServer;
import org.junit.jupiter.api.Test;

/** The adapter on MCP SDK 2.0: every public class introspects (as Spring does) and filters are reported absent. */
class Sdk20ClassPathTest {
  @Test
  void theSdkOnTheClassPathIs20() {
    String version = McpServer.class.getPackage().getImplementationVersion();
    // the jar manifest names its version; fall back to the absence of the 2.1 filter API
    if (version != null) {
      assertEquals("2.0", version.substring(0, 3), version);
    }
    assertFalse(McpToolFilters.available(), "SDK 2.0 has no McpSyncListFilter");
  }

  @Test
  void adapterClassesIntrospectWithoutTheFilterApi() {
    // Spring's bean introspection calls getDeclaredMethods(); it threw NoClassDefFoundError
    // (McpSyncListFilter) on SDK 2.0 while McpRateLimiting returned a list filter
    assertDoesNotThrow(() -> McpRateLimiting.class.getDeclaredMethods());
    assertDoesNotThrow(() -> McpRateLimiting.Builder.class.getDeclaredMethods());
    assertDoesNotThrow(() -> IdentityExtractor.class.getDeclaredMethods());
  }
}
