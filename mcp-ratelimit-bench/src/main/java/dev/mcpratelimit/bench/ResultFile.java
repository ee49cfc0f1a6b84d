package dev.mcpratelimit.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes measurements that do not come from JMH (retained bytes per key, Redis commands per
 * decision, estimate error) in the shape of JMH's JSON result file, so that {@link Report} reads
 * every result the same way.
 */
public final class ResultFile {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final List<Map<String, Object>> results = new ArrayList<>();

  /**
   * Adds one single-shot measurement.
   *
   * @param benchmark the full name, {@code class.method}, as JMH would write it
   * @param score the value
   * @param unit its unit, e.g. {@code "B/key"}
   * @return this
   */
  public ResultFile add(String benchmark, double score, String unit) {
    Map<String, Object> primary = new LinkedHashMap<>();
    primary.put("score", score);
    primary.put("scoreError", 0.0);
    primary.put("scoreUnit", unit);
    primary.put("rawData", List.of(List.of(score)));
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("jmhVersion", "n/a");
    r.put("benchmark", benchmark);
    r.put("mode", "ss");
    r.put("threads", 1);
    r.put("forks", 1);
    r.put("jdkVersion", System.getProperty("java.version"));
    r.put("vmName", System.getProperty("java.vm.name"));
    r.put("params", Map.of());
    r.put("primaryMetric", primary);
    r.put("secondaryMetrics", Map.of());
    results.add(r);
    return this;
  }

  /**
   * Writes the file, creating its directory.
   *
   * @param file where
   * @throws IOException if it cannot be written
   */
  public void write(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(results));
  }
}
