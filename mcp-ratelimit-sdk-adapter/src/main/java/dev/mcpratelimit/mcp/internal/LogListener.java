package dev.mcpratelimit.mcp.internal;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Clock;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.spi.LimitState;
import dev.mcpratelimit.RateLimitListener;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs denials at DEBUG and store errors at WARN, itself rate-limited (a token bucket of
 * {@value #LINES_PER_MINUTE} lines per minute), so a flood of denials cannot flood the log; the
 * number of suppressed lines is reported with the next line written. Identity values are never
 * logged: only the tool, rule and scope names.
 */
public final class LogListener implements RateLimitListener {
  static final int LINES_PER_MINUTE = 60;

  private final Logger log;
  private final Clock clock;
  private final LimitState budget = LimitState.of(LimitSpec.tokenBucket(LINES_PER_MINUTE, LINES_PER_MINUTE, Duration.ofMinutes(1)));
  private final AtomicLong suppressed = new AtomicLong();

  public LogListener(Clock clock) {
    this(LoggerFactory.getLogger("dev.mcpratelimit"), clock);
  }

  LogListener(Logger log, Clock clock) {
    this.log = log;
    this.clock = clock;
  }

  private boolean mayLog() {
    if (budget.tryAcquire(1, clock.nanos(), null)) {
      return true;
    }
    suppressed.incrementAndGet();
    return false;
  }

  private String suffix() {
    long n = suppressed.getAndSet(0);
    return n == 0 ? "" : " (" + n + " similar lines suppressed)";
  }

  @Override
  public void onDenied(CallContext call, Decision.Denied denial) {
    if (log.isDebugEnabled() && mayLog()) {
      log.debug("denied {} {}: {} by rule '{}' per {}, retry after {} ns{}", call.method().wireName(), call.target(),
          denial.reason().code(), denial.rule(), denial.scope(), denial.retryAfterNanos(), suffix());
    }
  }

  @Override
  public void onStoreError(Throwable error) {
    if (log.isWarnEnabled() && mayLog()) {
      log.warn("rate-limit store error: {}{}", error.toString(), suffix());
    }
  }
}
