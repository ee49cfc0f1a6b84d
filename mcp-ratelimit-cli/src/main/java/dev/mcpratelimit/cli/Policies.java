package dev.mcpratelimit.cli;

import dev.mcpratelimit.policy.PolicyException;
import dev.mcpratelimit.policy.PolicyFile;
import dev.mcpratelimit.policy.PolicyLoader;
import dev.mcpratelimit.policy.Problem;
import dev.mcpratelimit.trace.TraceEvent;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Loading what the commands read: policy files, traces, lists of names. */
final class Policies {
  private Policies() {}

  /** @return the policy, or {@code null} after printing its problems to {@code err} */
  static @Nullable PolicyFile load(Path file, PrintWriter err) {
    try {
      return PolicyLoader.load(file);
    } catch (PolicyException e) {
      for (Problem p : e.problems()) {
        err.println(p);
      }
      err.println(e.problems().size() + (e.problems().size() == 1 ? " problem" : " problems") + " in " + file);
      return null;
    }
  }

  /** Reads trace files in order. */
  static List<TraceEvent> trace(List<Path> files) {
    List<TraceEvent> events = new ArrayList<>();
    for (Path f : files) {
      if (!Files.isRegularFile(f)) {
        throw new Main.InputException("trace " + f + ": no such file");
      }
      try {
        events.addAll(TraceEvent.read(f));
      } catch (TraceEvent.TraceFormatException | UncheckedIOException e) {
        throw new Main.InputException(e.getMessage());
      }
    }
    return events;
  }

  /** {@code a,b,c} or {@code @file} (one name a line; blank lines and {@code #} comments skipped). */
  static Set<String> names(String spec) {
    Set<String> out = new LinkedHashSet<>();
    if (spec.startsWith("@")) {
      Path f = Path.of(spec.substring(1));
      List<String> lines;
      if (!Files.isRegularFile(f)) {
        throw new Main.InputException("names file " + f + ": no such file");
      }
      try {
        lines = Files.readAllLines(f, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new Main.InputException("names file " + f + ": cannot read: " + e.getMessage());
      }
      for (String l : lines) {
        String t = l.strip();
        if (!t.isEmpty() && !t.startsWith("#")) {
          out.add(t);
        }
      }
      return out;
    }
    for (String s : spec.split(",")) {
      if (!s.isBlank()) {
        out.add(s.strip());
      }
    }
    return out;
  }
}
