package dev.mcpratelimit.mcp.internal;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Reads a bounded prefix of a JSON-RPC request body to learn its top-level {@code method} and
 * {@code id}, and hands on a request whose body replays that prefix before the rest, so the SDK
 * still reads the whole, unchanged body. Only servlet-container code loads this class.
 */
public final class JsonRpcPeek {
  /** Longest method name taken from a body. */
  static final int MAX_METHOD = 128;

  /** The request to hand on (replaying the prefix), the method and the raw id, each possibly null. */
  public record Result(HttpServletRequest request, @Nullable String method, @Nullable String id) {}

  private JsonRpcPeek() {}

  /**
   * @param request a POST request whose body has not been read
   * @param maxBytes the most bytes to read ahead, positive
   * @return what the prefix says, and the request to hand on
   * @throws IOException when reading the body fails
   */
  public static Result peek(HttpServletRequest request, int maxBytes) throws IOException {
    ServletInputStream in = request.getInputStream();
    byte[] buf = new byte[maxBytes];
    int n = 0;
    while (n < maxBytes) {
      int r = in.read(buf, n, maxBytes - n);
      if (r < 0) {
        break;
      }
      n += r;
    }
    String[] found = scan(buf, n);
    return new Result(new Replaying(request, in, buf, n), found[0], found[1]);
  }

  /**
   * Finds the top-level {@code "method"} (a string) and {@code "id"} (a string or number, as
   * written) of a JSON object prefix; a key inside {@code params} is never taken. Malformed or
   * truncated input yields nulls.
   */
  static @Nullable String[] scan(byte[] b, int n) {
    String method = null;
    String id = null;
    int depth = 0;
    int i = skipWs(b, 0, n);
    if (i >= n || b[i] != '{') {
      return new String[2];
    }
    boolean expectKey = false;
    while (i < n) {
      byte c = b[i];
      if (c == '"') {
        int end = stringEnd(b, i, n);
        if (end < 0) {
          break;
        }
        if (depth == 1 && expectKey) {
          String key = new String(b, i + 1, end - i - 1, StandardCharsets.UTF_8);
          int colon = skipWs(b, end + 1, n);
          if (colon >= n || b[colon] != ':') {
            break;
          }
          int v = skipWs(b, colon + 1, n);
          if (v >= n) {
            break;
          }
          if (key.equals("method") && b[v] == '"') {
            int ve = stringEnd(b, v, n);
            if (ve < 0) {
              break;
            }
            String m = new String(b, v + 1, ve - v - 1, StandardCharsets.UTF_8);
            method = m.length() <= MAX_METHOD && m.indexOf('\\') < 0 ? m : null;
          } else if (key.equals("id")) {
            int ve = b[v] == '"' ? stringEnd(b, v, n) : numberEnd(b, v, n);
            if (ve >= 0 && ve - v < MAX_METHOD) {
              id = new String(b, v, ve - v + (b[v] == '"' ? 1 : 0), StandardCharsets.UTF_8);
            }
          }
          expectKey = false;
          i = v;
          continue;
        }
        i = end + 1;
        continue;
      }
      if (c == '{' || c == '[') {
        depth++;
        expectKey = c == '{' && depth == 1;
      } else if (c == '}' || c == ']') {
        depth--;
        if (depth == 0) {
          break;
        }
      } else if (c == ',' && depth == 1) {
        expectKey = true;
      }
      i++;
    }
    return new String[] {method, id};
  }

  private static int skipWs(byte[] b, int i, int n) {
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r')) {
      i++;
    }
    return i;
  }

  /** Index of the closing quote of the string opening at {@code i}, or -1 when truncated. */
  private static int stringEnd(byte[] b, int i, int n) {
    for (int j = i + 1; j < n; j++) {
      if (b[j] == '\\') {
        j++;
      } else if (b[j] == '"') {
        return j;
      }
    }
    return -1;
  }

  /** Index just past a JSON integer starting at {@code i}, or -1 when none or truncated. */
  private static int numberEnd(byte[] b, int i, int n) {
    int j = i;
    while (j < n && ((j == i && b[j] == '-') || (b[j] >= '0' && b[j] <= '9'))) {
      j++;
    }
    if (j == i || j >= n) {
      return -1;
    }
    byte next = b[j];
    // 1e5 or 1.5 are numbers this does not echo: only a plain integer followed by a delimiter
    return next == ',' || next == '}' || next == ' ' || next == '\t' || next == '\n' || next == '\r' ? j : -1;
  }

  /** A request whose body is the peeked prefix followed by the unread rest of the original. */
  private static final class Replaying extends HttpServletRequestWrapper {
    private final ServletInputStream stream;
    private @Nullable BufferedReader reader;

    Replaying(HttpServletRequest request, ServletInputStream rest, byte[] prefix, int length) {
      super(request);
      this.stream = new PrefixStream(rest, prefix, length);
    }

    @Override
    public ServletInputStream getInputStream() {
      return stream;
    }

    @Override
    public BufferedReader getReader() {
      if (reader == null) {
        String enc = getCharacterEncoding();
        Charset cs = enc == null ? StandardCharsets.UTF_8 : Charset.forName(enc);
        reader = new BufferedReader(new InputStreamReader(stream, cs));
      }
      return reader;
    }
  }

  private static final class PrefixStream extends ServletInputStream {
    private final ServletInputStream rest;
    private final byte[] prefix;
    private final int length;
    private int pos;

    PrefixStream(ServletInputStream rest, byte[] prefix, int length) {
      this.rest = rest;
      this.prefix = prefix;
      this.length = length;
    }

    @Override
    public int read() throws IOException {
      return pos < length ? prefix[pos++] & 0xff : rest.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (pos < length) {
        int k = Math.min(len, length - pos);
        System.arraycopy(prefix, pos, b, off, k);
        pos += k;
        return k;
      }
      return rest.read(b, off, len);
    }

    @Override
    public int available() throws IOException {
      return pos < length ? length - pos : rest.available();
    }

    @Override
    public boolean isFinished() {
      return pos >= length && rest.isFinished();
    }

    @Override
    public boolean isReady() {
      return pos < length || rest.isReady();
    }

    @Override
    public void setReadListener(ReadListener listener) {
      rest.setReadListener(listener);
    }
  }
}
