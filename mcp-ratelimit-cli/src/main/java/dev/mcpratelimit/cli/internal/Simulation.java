package dev.mcpratelimit.cli.internal;

import dev.mcpratelimit.Decision;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.trace.TraceEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** What a replay of a trace through one policy decided: the figures every report draws from. */
public final class Simulation {
  /** Number of time buckets of the usage series. */
  public static final int BUCKETS = 120;

  /** What one trace event received. */
  public record Outcome(TraceEvent event, boolean granted, long waitedNanos, Decision.@Nullable Denied denial, long decidedAt) {}

  /** One rule's figures. */
  public static final class RuleStats {
    public final String name;
    public final @Nullable LimitSpec limit;
    public final String describe;
    public long calls;
    public long denied;
    public long shadowDenied;
    public long peakUsage;
    public long peakAt;
    public String peakIdentity = "";
    /** Highest usage seen in each time bucket, -1 where the rule decided nothing. */
    public final long[] series = new long[BUCKETS];
    /** Denials by this rule in each time bucket. */
    public final long[] deniedSeries = new long[BUCKETS];

    RuleStats(String name, @Nullable LimitSpec limit, String describe) {
      this.name = name;
      this.limit = limit;
      this.describe = describe;
      java.util.Arrays.fill(series, -1);
    }
  }

  public final String policyName;
  public final long start;
  public final long end;
  public long calls;
  public long granted;
  public long denied;
  public long waited;
  public long shadowTotal;
  public long liveKnown;
  public long liveAgree;
  public @Nullable Outcome firstDenial;
  /** Rules in policy order, then fixed labels (hidden, default, backoff, store) when they denied. */
  public final Map<String, RuleStats> rules = new LinkedHashMap<>();
  /** Identity label to {granted, denied}. */
  public final Map<String, long[]> identities = new LinkedHashMap<>();
  /** Retry-after of each denial, nanoseconds ({@code -1}: waiting cannot help). */
  public final List<Long> retryAfters = new ArrayList<>();
  public final List<Outcome> outcomes = new ArrayList<>();

  Simulation(String policyName, long start, long end) {
    this.policyName = policyName;
    this.start = start;
    this.end = end;
  }

  /** @param t a time @return its usage-series bucket */
  public int bucket(long t) {
    long span = Math.max(1, end - start);
    return (int) Math.min(BUCKETS - 1, Math.max(0, (double) (t - start) * BUCKETS / span));
  }
}
