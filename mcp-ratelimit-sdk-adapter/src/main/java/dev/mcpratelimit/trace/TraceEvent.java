package dev.mcpratelimit.trace;

import dev.mcpratelimit.CallContext;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One recorded call: one line of a trace file.
 *
 * <pre>{@code
 * {"t":"2026-12-02T10:15:30.123Z","method":"tools/call","target":"create_issue",
 *  "identity":{"user":"h:4f1c2a9d0b7e3c55","tenant":"h:9a0e77c1d2f3b4a6"},"args":{"title":"x"},
 *  "decision":"denied","rule":"issue burst"}
 * }</pre>
 *
 * <p>{@code t}, {@code method} and {@code target} are required; {@code identity}, {@code args},
 * {@code durationMs} (how long the granted call ran, so concurrency permits are held that long in
 * a replay), {@code decision} and {@code rule} (what the live server decided) are optional. A line
 * with a {@code format} field is a file header and is skipped.
 *
 * @param epochNanos when the call was decided, nanoseconds since the Unix epoch
 * @param method the MCP method
 * @param target the tool name, resource URI or prompt name
 * @param identity the identity attributes (hashed values unless recorded raw)
 * @param arguments the call's arguments (empty when not recorded)
 * @param durationNanos how long the call held its grant, or 0 when unknown (settled at once)
 * @param decision what the live server decided ({@code granted} or {@code denied}), or {@code null}
 * @param rule the denying rule of a live denial, or {@code null}
 */
public record TraceEvent(
    long epochNanos,
    CallContext.Method method,
    String target,
    Map<String, String> identity,
    Map<String, @Nullable Object> arguments,
    long durationNanos,
    @Nullable String decision,
    @Nullable String rule) {

  /** The value of a header line's {@code format} field. */
  public static final String FORMAT = "mcp-ratelimit-trace";

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Validates and copies. */
  public TraceEvent {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(target, "target");
    identity = Map.copyOf(identity);
    arguments = Collections.unmodifiableMap(new LinkedHashMap<>(arguments));
    if (durationNanos < 0) {
      throw new IllegalArgumentException("durationNanos must be 0 or more, but was " + durationNanos);
    }
  }

  /** @return the call as the engine sees it */
  public CallContext toCall() {
    CallContext.Builder b = CallContext.of(method, target).arguments(arguments);
    for (Map.Entry<String, String> e : identity.entrySet()) {
      b.attribute(e.getKey(), e.getValue());
    }
    return b.build();
  }

  /**
   * @return the identity as {@code tenant=… user=…} (sorted by name; session and client only when
   *     the call has neither user nor tenant), or {@code (anonymous)}
   */
  public String identityLabel() {
    if (identity.isEmpty()) {
      return "(anonymous)";
    }
    boolean principal = identity.containsKey(CallContext.USER) || identity.containsKey(CallContext.TENANT);
    StringBuilder sb = new StringBuilder();
    for (String k : new java.util.TreeSet<>(identity.keySet())) {
      if (principal && (k.equals(CallContext.SESSION) || k.equals(CallContext.CLIENT))) {
        continue; // with a user or tenant, sessions and client names only split the same caller
      }
      sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(identity.get(k));
    }
    return sb.length() == 0 ? "(anonymous)" : sb.toString();
  }

  /**
   * Reads a trace file.
   *
   * @param file a JSON Lines trace
   * @return its events in file order
   * @throws TraceFormatException naming the file and line of the first malformed line
   * @throws UncheckedIOException when the file cannot be read
   */
  public static List<TraceEvent> read(Path file) {
    List<TraceEvent> out = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        TraceEvent e = parse(line, file + ":" + n);
        if (e != null) {
          out.add(e);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read trace " + file + ": " + e.getMessage(), e);
    }
    return out;
  }

  /**
   * Parses one line.
   *
   * @param line the JSON object
   * @param where the file and line, for messages
   * @return the event, or {@code null} for a header line
   * @throws TraceFormatException when the line is not a valid event
   */
  public static @Nullable TraceEvent parse(String line, String where) {
    JsonNode n;
    try {
      n = JSON.readTree(line);
    } catch (JacksonException e) {
      throw new TraceFormatException(where + ": not a JSON object: " + e.getOriginalMessage());
    }
    if (n == null || !n.isObject()) {
      throw new TraceFormatException(where + ": expected a JSON object per line");
    }
    if (n.has("format")) {
      return null;
    }
    long t;
    try {
      Instant i = Instant.parse(text(n, "t", where));
      t = Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000_000L), i.getNano());
    } catch (DateTimeParseException | ArithmeticException e) {
      throw new TraceFormatException(where + ": t: expected an ISO-8601 instant such as 2026-12-02T10:15:30.123Z, but was "
          + n.get("t"));
    }
    String m = text(n, "method", where);
    CallContext.Method method = null;
    for (CallContext.Method c : CallContext.Method.values()) {
      if (c.wireName().equals(m)) {
        method = c;
      }
    }
    if (method == null) {
      throw new TraceFormatException(where + ": method: expected tools/call, resources/read or prompts/get, but was '" + m + "'");
    }
    Map<String, String> identity = new LinkedHashMap<>();
    JsonNode id = n.get("identity");
    if (id != null && !id.isNull()) {
      if (!id.isObject()) {
        throw new TraceFormatException(where + ": identity: expected an object of strings");
      }
      for (Map.Entry<String, JsonNode> e : id.properties()) {
        if (!e.getValue().isString()) {
          throw new TraceFormatException(where + ": identity." + e.getKey() + ": expected a string");
        }
        identity.put(e.getKey(), e.getValue().asString());
      }
    }
    Map<String, @Nullable Object> args = new LinkedHashMap<>();
    JsonNode a = n.get("args");
    if (a != null && !a.isNull()) {
      if (!a.isObject()) {
        throw new TraceFormatException(where + ": args: expected an object");
      }
      @SuppressWarnings("unchecked")
      Map<String, @Nullable Object> m2 = JSON.convertValue(a, Map.class);
      args.putAll(m2);
    }
    long duration = 0;
    JsonNode d = n.get("durationMs");
    if (d != null && !d.isNull()) {
      if (!d.isNumber() || d.asDouble() < 0 || d.asDouble() > 1e12) {
        throw new TraceFormatException(where + ": durationMs: expected a number of milliseconds, 0 or more, but was " + d);
      }
      duration = (long) (d.asDouble() * 1_000_000);
    }
    return new TraceEvent(t, method, text(n, "target", where), identity, args, duration,
        optText(n, "decision"), optText(n, "rule"));
  }

  private static String text(JsonNode n, String field, String where) {
    JsonNode v = n.get(field);
    if (v == null || !v.isString()) {
      throw new TraceFormatException(where + ": " + field + ": required string is missing");
    }
    return v.asString();
  }

  private static @Nullable String optText(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || !v.isString() ? null : v.asString();
  }

  /** A trace line that is not a valid event; the message names the file and line. */
  public static final class TraceFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** @param message the file, line and what is wrong */
    public TraceFormatException(String message) {
      super(message);
    }
  }
}
