package dev.mcpratelimit.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.testing.FakeClock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceRecorderTest {
  @TempDir Path dir;

  final FakeClock clock = FakeClock.create();
  final RateLimitPolicy policy = RateLimitPolicy.builder()
      .rule(Rule.builder("burst").targets("create_issue").limit(LimitSpec.calendarWindow(2, WindowUnit.MINUTE)).build()).build();

  RateLimiter limiter(TraceRecorder r) {
    return RateLimiter.builder(policy).clock(clock).listener(r).build();
  }

  static CallContext call(String user) {
    return CallContext.tool("create_issue").user(user).tenant("acme").arguments(Map.of("title", "t", "n", 3)).build();
  }

  @Test
  void writesEveryDecisionWithHashedIdentitiesThatReadBack() throws IOException {
    Path f = dir.resolve("calls.jsonl");
    try (TraceRecorder r = TraceRecorder.builder(f).clock(clock).build()) {
      RateLimiter l = limiter(r);
      for (int i = 0; i < 3; i++) {
        l.acquire(call("alice@example.com"));
        clock.advance(Duration.ofMillis(250));
      }
      l.acquire(call("bob"));
    }
    String text = Files.readString(f, StandardCharsets.UTF_8);
    assertFalse(text.contains("alice") || text.contains("acme") || text.contains("bob"), text);
    assertTrue(text.startsWith("{\"format\":\"mcp-ratelimit-trace\",\"version\":1,\"identities\":\"hmac-sha256\"}\n"), text);
    List<TraceEvent> events = TraceEvent.read(f);
    assertEquals(4, events.size());
    TraceEvent first = events.get(0);
    assertEquals(CallContext.Method.TOOLS_CALL, first.method());
    assertEquals("create_issue", first.target());
    assertEquals(clock.nanos() - Duration.ofMillis(750).toNanos(), first.epochNanos());
    assertEquals(Map.of("title", "t", "n", 3), first.arguments());
    assertEquals("granted", first.decision());
    assertEquals("denied", events.get(2).decision());
    assertEquals("burst", events.get(2).rule());
    assertEquals(first.identity().get("user"), events.get(1).identity().get("user"), "one user, one pseudonym");
    assertNotEquals(first.identity().get("user"), events.get(3).identity().get("user"));
    assertTrue(first.identity().get("user").matches("h:[0-9a-f]{16}"), first.identity().toString());
  }

  @Test
  void theSameKeyGivesTheSamePseudonymsAndRawIdentitiesOnlyWhenAsked() throws IOException {
    byte[] key = "0123456789abcdef0123".getBytes(StandardCharsets.UTF_8);
    Path a = dir.resolve("a.jsonl");
    Path b = dir.resolve("b.jsonl");
    Path raw = dir.resolve("raw.jsonl");
    for (Path p : List.of(a, b)) {
      try (TraceRecorder r = TraceRecorder.builder(p).hashKey(key).clock(clock).build()) {
        limiter(r).acquire(call("alice"));
      }
    }
    assertEquals(TraceEvent.read(a).get(0).identity(), TraceEvent.read(b).get(0).identity());
    try (TraceRecorder r = TraceRecorder.builder(raw).rawIdentities(true).arguments(false).clock(clock).build()) {
      limiter(r).acquire(call("alice"));
    }
    TraceEvent e = TraceEvent.read(raw).get(0);
    assertEquals(Map.of("user", "alice", "tenant", "acme"), e.identity());
    assertEquals(Map.of(), e.arguments());
  }

  @Test
  void filesStayUnderTheBoundAndRotateKeepingMaxFiles() throws IOException {
    Path f = dir.resolve("calls.jsonl");
    int calls = 200;
    try (TraceRecorder r = TraceRecorder.builder(f).maxFileBytes(4096).maxFiles(3).clock(clock).build()) {
      RateLimiter l = limiter(r);
      for (int i = 0; i < calls; i++) {
        l.acquire(call("user" + i));
        clock.advance(Duration.ofSeconds(1));
      }
      assertEquals(calls, r.written());
      assertEquals(0, r.errors());
    }
    assertTrue(Files.exists(dir.resolve("calls.jsonl.1")));
    assertTrue(Files.exists(dir.resolve("calls.jsonl.2")));
    assertFalse(Files.exists(dir.resolve("calls.jsonl.3")), "at most 3 files");
    for (String name : List.of("calls.jsonl", "calls.jsonl.1", "calls.jsonl.2")) {
      assertTrue(Files.size(dir.resolve(name)) <= 4096, name + " is " + Files.size(dir.resolve(name)) + " bytes");
      assertTrue(Files.readString(dir.resolve(name)).startsWith("{\"format\""), name + " starts with a header");
    }
    List<TraceEvent> older = TraceEvent.read(dir.resolve("calls.jsonl.1"));
    List<TraceEvent> newest = TraceEvent.read(f);
    assertTrue(older.get(older.size() - 1).epochNanos() < newest.get(0).epochNanos(), "rotated files are older");
    assertEquals(newest.get(newest.size() - 1).epochNanos(), clock.nanos() - Duration.ofSeconds(1).toNanos(),
        "the newest file ends with the last call");
  }

  @Test
  void aMalformedLineIsNamedByFileAndLine() throws IOException {
    Path f = dir.resolve("bad.jsonl");
    Files.writeString(f, "{\"t\":\"2026-01-01T00:00:00Z\",\"method\":\"tools/call\",\"target\":\"x\"}\n"
        + "{\"t\":\"yesterday\",\"method\":\"tools/call\",\"target\":\"x\"}\n");
    TraceEvent.TraceFormatException e = assertThrows(TraceEvent.TraceFormatException.class, () -> TraceEvent.read(f));
    assertTrue(e.getMessage().startsWith(f + ":2: t: expected an ISO-8601 instant"), e.getMessage());
    Files.writeString(f, "{\"t\":\"2026-01-01T00:00:00Z\",\"method\":\"tools/list\",\"target\":\"x\"}\n");
    assertTrue(assertThrows(TraceEvent.TraceFormatException.class, () -> TraceEvent.read(f)).getMessage()
        .contains(":1: method: expected tools/call, resources/read or prompts/get, but was 'tools/list'"));
  }

  @Test
  void badSettingsAreNamed() {
    assertEquals("maxFileBytes must be at least 4096, but was 10",
        assertThrows(IllegalArgumentException.class, () -> TraceRecorder.builder(dir.resolve("x")).maxFileBytes(10)).getMessage());
    assertEquals("hashKey must be at least 16 bytes, but was 3",
        assertThrows(IllegalArgumentException.class, () -> TraceRecorder.builder(dir.resolve("x")).hashKey(new byte[3])).getMessage());
  }
}
