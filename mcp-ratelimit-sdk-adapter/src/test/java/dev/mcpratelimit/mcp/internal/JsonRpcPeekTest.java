package dev.mcpratelimit.mcp.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonRpcPeekTest {
  private static String[] scan(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return JsonRpcPeek.scan(b, b.length);
  }

  @Test
  void findsTopLevelMethodAndIdOnly() {
    assertArrayEquals(new String[] {"tools/call", "7"},
        scan("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"x\"}}"));
    assertArrayEquals(new String[] {"ping", "\"a\\\"b\""},
        scan(" {\"params\":{\"method\":\"initialize\",\"id\":1,\"x\":[{\"method\":\"no\"}]},\"id\":\"a\\\"b\",\"method\":\"ping\"}"));
    assertArrayEquals(new String[] {null, "-3"}, scan("{\"id\":-3,\"method\":42}"), "a method must be a string");
  }

  @Test
  void truncatedOrHostileInputYieldsNothing() {
    assertArrayEquals(new String[2], scan("[{\"method\":\"initialize\"}]"), "batches are not read");
    assertArrayEquals(new String[] {null, null}, scan("{\"params\":{\"a\":\"" + "x".repeat(100) + "\"}, \"method\":\"init"));
    assertArrayEquals(new String[] {null, null}, scan("{\"method\":\"" + "m".repeat(200) + "\"}"), "over " + JsonRpcPeek.MAX_METHOD);
    assertArrayEquals(new String[] {null, null}, scan("{\"method\":\"tools\\/call\"}"), "escapes are not decoded, so not trusted");
    assertArrayEquals(new String[] {null, null}, scan("not json"));
    assertArrayEquals(new String[] {null, null}, scan(""));
    assertArrayEquals(new String[] {null, null}, scan("{\"id\":1e5}"), "only integer ids are echoed");
  }

  @Test
  void jsonWriterEscapes() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("a\"", List.of(1, true, "x\n\u0001"));
    m.put("id", new Json.RawJson("\"r\""));
    m.put("n", null);
    assertEquals("{\"a\\\"\":[1,true,\"x\\n\\u0001\"],\"id\":\"r\",\"n\":null}", Json.write(m));
  }
}
