package dev.mcpratelimit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.WindowUnit;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The default denial message of each limit kind, as the agent reads it. */
class DenialMessageTest {

  private static Rule rule(String name, LimitSpec spec) {
    return Rule.builder(name).key(KeyResolvers.user()).limit(spec).build();
  }

  @Test
  void tokenBucketNamesTheBurstAndItsRefill() {
    LimitSpec spec = LimitSpec.tokenBucket(30, 10, Duration.ofSeconds(1));
    assertEquals("Used the burst of 30 per user, which refills over 3 seconds (rule 'reads')",
        DenialMessages.describe(rule("reads", spec), spec, 1));
  }

  @Test
  void windowsSayPerHourNotPerOneHour() {
    LimitSpec hour = LimitSpec.calendarWindow(5, WindowUnit.HOUR);
    assertEquals("Limit of 5 per hour per user reached (rule 'issues')",
        DenialMessages.describe(rule("issues", hour), hour, 1));
    LimitSpec tenMinutes = LimitSpec.slidingWindow(100, Duration.ofMinutes(10));
    assertEquals("Limit of 100 per 10 minutes per user reached (rule 'q')",
        DenialMessages.describe(rule("q", tenMinutes), tenMinutes, 1));
  }

  @Test
  void concurrencyAndOversizedCostDenialsReadAsPlainSentences() {
    LimitSpec one = LimitSpec.concurrency(1);
    assertEquals("At most 1 call at a time per user (rule 'db')", DenialMessages.describe(rule("db", one), one, 1));
    LimitSpec day = LimitSpec.calendarWindow(1000, WindowUnit.DAY);
    assertEquals("Cost 5000 exceeds the limit of 1000 of rule 'spend'", DenialMessages.describe(rule("spend", day), day, 5000));
  }
}
