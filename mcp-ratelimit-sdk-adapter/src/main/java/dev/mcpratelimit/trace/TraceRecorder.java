package dev.mcpratelimit.trace;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Clock;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimitListener;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * A {@link RateLimitListener} that writes every decided call to a JSON Lines trace
 * ({@link TraceEvent} is the format), for the command-line simulator to replay through another
 * policy:
 *
 * <pre>{@code
 * TraceRecorder trace = TraceRecorder.builder(Path.of("calls.jsonl")).build();
 * RateLimiter limiter = RateLimiter.builder(policy).listener(trace).build();
 * ...
 * trace.close();   // on shutdown: flushes
 * }</pre>
 *
 * <p><b>Privacy.</b> Identity values (user, tenant, session, client, any attribute) are written as
 * a keyed hash ({@code h:} and 16 hex digits of HMAC-SHA256), never raw, unless
 * {@link Builder#rawIdentities(boolean)} asks for them. The key is random per recorder unless
 * {@link Builder#hashKey(byte[])} sets one (set one to keep the same pseudonyms across restarts);
 * without the key a hash cannot be checked against a guessed id. Arguments are written as given,
 * because argument-derived costs, conditions and keys need them; turn them off with
 * {@link Builder#arguments(boolean)} if they hold secrets.
 *
 * <p><b>Bounds.</b> A file holds at most {@link Builder#maxFileBytes(long)} bytes; then it is
 * renamed {@code NAME.1} (an older {@code NAME.1} becomes {@code NAME.2}, and so on) and a new file
 * starts; at most {@link Builder#maxFiles(int)} files are kept, the oldest dropped. A line longer
 * than {@value #MAX_LINE_CHARS} characters (huge arguments) is written without its arguments.
 *
 * <p>What is recorded: the time of the decision (this recorder's clock), the method, target,
 * identity, arguments and the live decision. A waitable denial (the engine will retry the call
 * itself) is not recorded; the grant that follows is. Writes are buffered and serialised under a
 * lock on the deciding thread; an I/O error is counted ({@link #errors()}) and never breaks a call.
 * Thread-safe.
 */
public final class TraceRecorder implements RateLimitListener, Closeable {
  /** Longest line written with its arguments; longer ones drop them. */
  public static final int MAX_LINE_CHARS = 64 * 1024;

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HexFormat HEX = HexFormat.of();

  private final Path file;
  private final long maxFileBytes;
  private final int maxFiles;
  private final boolean raw;
  private final boolean withArguments;
  private final Clock clock;
  private final @Nullable Mac mac;
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong written = new AtomicLong();
  private @Nullable OutputStream out;
  private long size;
  private boolean closed;

  private TraceRecorder(Builder b) {
    this.file = b.file;
    this.maxFileBytes = b.maxFileBytes;
    this.maxFiles = b.maxFiles;
    this.raw = b.rawIdentities;
    this.withArguments = b.arguments;
    this.clock = b.clock;
    if (raw) {
      this.mac = null;
    } else {
      byte[] key = b.hashKey;
      if (key == null) {
        key = new byte[32];
        new SecureRandom().nextBytes(key);
      }
      try {
        Mac m = Mac.getInstance("HmacSHA256");
        m.init(new SecretKeySpec(key, "HmacSHA256"));
        this.mac = m;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
      }
    }
  }

  /**
   * @param file where the trace goes; its directory must exist; an existing file is appended to
   * @return a builder
   */
  public static Builder builder(Path file) {
    return new Builder(file);
  }

  @Override
  public void onGranted(CallContext call, Decision.Granted decision) {
    write(call, "granted", null);
  }

  @Override
  public void onDenied(CallContext call, Decision.Denied denial) {
    if (!denial.waitable()) {
      write(call, "denied", denial.rule());
    }
  }

  /** @return lines written so far */
  public long written() {
    return written.get();
  }

  /** @return writes that failed (I/O errors, unserialisable arguments) */
  public long errors() {
    return errors.get();
  }

  /** Writes buffered lines to the file. */
  public synchronized void flush() {
    if (out != null) {
      try {
        out.flush();
      } catch (IOException e) {
        errors.incrementAndGet();
      }
    }
  }

  /** Flushes and closes the file; later calls are not recorded. */
  @Override
  public synchronized void close() {
    closed = true;
    if (out != null) {
      try {
        out.close();
      } catch (IOException e) {
        errors.incrementAndGet();
      }
      out = null;
    }
  }

  private void write(CallContext call, String decision, @Nullable String rule) {
    long now = clock.nanos();
    synchronized (this) {
      if (closed) {
        return;
      }
      try {
        String line = line(call, now, decision, rule);
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        if (out == null) {
          open();
        }
        if (size > 0 && size + bytes.length > maxFileBytes) {
          rotate();
        }
        out.write(bytes);
        size += bytes.length;
        written.incrementAndGet();
      } catch (IOException | RuntimeException e) {
        errors.incrementAndGet();
      }
    }
  }

  private String line(CallContext call, long now, String decision, @Nullable String rule) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("t", Clock.toInstant(now).toString());
    m.put("method", call.method().wireName());
    m.put("target", call.target());
    Map<String, String> id = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(call.attributes()).entrySet()) {
      id.put(e.getKey(), raw ? e.getValue() : hash(e.getValue()));
    }
    if (!id.isEmpty()) {
      m.put("identity", id);
    }
    if (withArguments && !call.arguments().isEmpty()) {
      m.put("args", call.arguments());
    }
    m.put("decision", decision);
    if (rule != null) {
      m.put("rule", rule);
    }
    String line = json(m);
    if (line.length() > MAX_LINE_CHARS && m.remove("args") != null) {
      m.put("argsDropped", true);
      line = json(m);
    }
    return line + "\n";
  }

  private static String json(Map<String, Object> m) {
    try {
      return JSON.writeValueAsString(m);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("arguments cannot be written as JSON", e);
    }
  }

  private String hash(String value) {
    byte[] h = Objects.requireNonNull(mac).doFinal(value.getBytes(StandardCharsets.UTF_8));
    return "h:" + HEX.formatHex(h, 0, 8);
  }

  private void open() throws IOException {
    out = new java.io.BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND), 64 * 1024);
    size = Files.size(file);
    if (size == 0) {
      header();
    }
  }

  private void header() throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", TraceEvent.FORMAT);
    m.put("version", 1);
    m.put("identities", raw ? "raw" : "hmac-sha256");
    String h = json(m) + "\n";
    byte[] b = h.getBytes(StandardCharsets.UTF_8);
    Objects.requireNonNull(out).write(b);
    size += b.length;
  }

  private void rotate() throws IOException {
    Objects.requireNonNull(out).close();
    out = null;
    Files.deleteIfExists(sibling(maxFiles - 1));
    for (int i = maxFiles - 2; i >= 1; i--) {
      Path p = sibling(i);
      if (Files.exists(p)) {
        Files.move(p, sibling(i + 1), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    if (maxFiles > 1) {
      Files.move(file, sibling(1), StandardCopyOption.REPLACE_EXISTING);
    } else {
      Files.delete(file);
    }
    size = 0;
    open();
  }

  private Path sibling(int i) {
    return file.resolveSibling(file.getFileName() + "." + i);
  }

  /** Builds a {@link TraceRecorder}. Not thread-safe. */
  public static final class Builder {
    private final Path file;
    private long maxFileBytes = 16L << 20;
    private int maxFiles = 4;
    private boolean rawIdentities;
    private boolean arguments = true;
    private byte @Nullable [] hashKey;
    private Clock clock = Clock.system();

    private Builder(Path file) {
      this.file = Objects.requireNonNull(file, "file");
    }

    /** @param bytes largest size of one file before it rotates; default 16 MiB, at least 4096 @return this builder */
    public Builder maxFileBytes(long bytes) {
      if (bytes < 4096) {
        throw new IllegalArgumentException("maxFileBytes must be at least 4096, but was " + bytes);
      }
      this.maxFileBytes = bytes;
      return this;
    }

    /** @param files how many files to keep, the current one included; default 4, at least 1 @return this builder */
    public Builder maxFiles(int files) {
      if (files < 1) {
        throw new IllegalArgumentException("maxFiles must be at least 1, but was " + files);
      }
      this.maxFiles = files;
      return this;
    }

    /** @param raw write identity values as they are instead of hashed; default false @return this builder */
    public Builder rawIdentities(boolean raw) {
      this.rawIdentities = raw;
      return this;
    }

    /** @param record whether to write the calls' arguments; default true @return this builder */
    public Builder arguments(boolean record) {
      this.arguments = record;
      return this;
    }

    /**
     * @param key the HMAC key identities are hashed with, at least 16 bytes; default a random key
     *     per recorder (copied)
     * @return this builder
     */
    public Builder hashKey(byte[] key) {
      if (key.length < 16) {
        throw new IllegalArgumentException("hashKey must be at least 16 bytes, but was " + key.length);
      }
      this.hashKey = key.clone();
      return this;
    }

    /** @param clock the time written for each call; default {@link Clock#system()}, use the limiter's @return this builder */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** @return the recorder (the file is opened on the first call; I/O errors are counted, see {@link #errors()}) */
    public TraceRecorder build() {
      return new TraceRecorder(this);
    }
  }
}
