package dev.mcpratelimit.bench;

import dev.mcpratelimit.Condition;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A {@code regex} condition on the longest argument it reads ({@link Condition#MAX_TEXT_LENGTH},
 * 100,000 characters), with the patterns that broke {@code java.util.regex}: an alternation under
 * a repetition ({@code ^([a-z0-9]|-)+$}, a {@code StackOverflowError} at 5,000 characters) and
 * nested quantifiers ({@code ^(a+)+$}, exponential backtracking on a text that almost matches).
 * Each runs on a text that matches ({@code aaa…a}) and one that fails at its last character
 * ({@code aaa…a!}, the worst case for a backtracking engine). On RE2J both take time linear in the
 * text; no run throws. {@code ^(a+)+\1$}, the backreference form, cannot be measured: it is
 * rejected when the condition is created.
 *
 * <p>Run: {@code java -jar mcp-ratelimit-bench/target/benchmarks.jar RegexConditionBenchmark}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
@State(Scope.Benchmark)
public class RegexConditionBenchmark {
  @Param({"^([a-z0-9]|-)+$", "^(a+)+$"})
  public String pattern;

  @Param({"match", "failsAtLastChar"})
  public String text;

  Condition condition;
  Map<String, Object> arguments;
  boolean expected;

  @Setup
  public void setUp() {
    condition = Condition.of("args.x", Condition.Op.REGEX, pattern);
    int n = Condition.MAX_TEXT_LENGTH;
    expected = text.equals("match");
    arguments = Map.of("x", expected ? "a".repeat(n) : "a".repeat(n - 1) + "!");
    if (condition.test(arguments) != expected) {
      throw new IllegalStateException(pattern + " on " + text + ": expected " + expected);
    }
  }

  @Benchmark
  public boolean test() {
    return condition.test(arguments);
  }
}
