package dev.mcpratelimit.mcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.DenialReason;
import dev.mcpratelimit.testing.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/** Denials at DEBUG, store errors at WARN, never more than 60 lines a minute, no identity values. */
class LogListenerTest {

  /** Records formatted lines with their level. */
  static final class Captured extends LegacyAbstractLogger {
    private static final long serialVersionUID = 1L;
    final List<String> lines = new ArrayList<>();

    @Override
    protected String getFullyQualifiedCallerName() {
      return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String msg, Object[] args, Throwable t) {
      lines.add(level + " " + MessageFormatter.basicArrayFormat(msg, args));
    }

    @Override
    public boolean isTraceEnabled() {
      return false;
    }

    @Override
    public boolean isDebugEnabled() {
      return true;
    }

    @Override
    public boolean isInfoEnabled() {
      return true;
    }

    @Override
    public boolean isWarnEnabled() {
      return true;
    }

    @Override
    public boolean isErrorEnabled() {
      return true;
    }
  }

  @Test
  void floodsAreCutAndCountedAndIdentityNeverLogged() {
    FakeClock clock = FakeClock.create();
    Captured log = new Captured();
    LogListener listener = new LogListener(log, clock);
    CallContext call = CallContext.tool("create_issue").user("alice-secret").tenant("acme-secret").build();
    Decision.Denied d = Decision.Denied.rateLimited("burst", 3, "Slow down").scope(List.of("user"))
        .window(Duration.ofMinutes(1)).cost(1).retryAfterNanos(1_000_000_000L).build();
    for (int i = 0; i < 1000; i++) {
      listener.onDenied(call, d);
    }
    assertEquals(60, log.lines.size(), "at most 60 lines a minute");
    assertTrue(log.lines.get(0).startsWith("DEBUG denied tools/call create_issue: rate_limited by rule 'burst' per [user]"), log.lines.get(0));
    assertFalse(String.join("\n", log.lines).contains("secret"), "identity values are never logged");
    clock.advance(Duration.ofSeconds(1));
    listener.onStoreError(new IllegalStateException("redis down"));
    assertEquals(61, log.lines.size());
    String warn = log.lines.get(60);
    assertTrue(warn.startsWith("WARN rate-limit store error: java.lang.IllegalStateException: redis down"), warn);
    assertTrue(warn.endsWith("(940 similar lines suppressed)"), warn);
  }
}
