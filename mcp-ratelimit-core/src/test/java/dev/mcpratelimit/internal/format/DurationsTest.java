package dev.mcpratelimit.internal.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The one duration formatter: rounding up at the unit boundaries, words and the compact form. */
class DurationsTest {
  private static final long SECOND = 1_000_000_000L;
  private static final long MILLI = 1_000_000L;

  @Test
  void secondsRoundUpSoARetryIsNeverEarly() {
    assertEquals(0, Durations.ceilSeconds(0));
    assertEquals(1, Durations.ceilSeconds(1));
    assertEquals(1, Durations.ceilSeconds(SECOND - 1));
    assertEquals(1, Durations.ceilSeconds(SECOND));
    assertEquals(2, Durations.ceilSeconds(SECOND + 1));
    assertEquals(60, Durations.ceilSeconds(60 * SECOND));
  }

  @Test
  void millisecondsRoundUp() {
    assertEquals(0, Durations.ceilMillis(0));
    assertEquals(1, Durations.ceilMillis(1));
    assertEquals(1, Durations.ceilMillis(MILLI));
    assertEquals(2, Durations.ceilMillis(MILLI + 1));
    assertEquals(1000, Durations.ceilMillis(SECOND));
  }

  @Test
  void roundingUpTheLongestTimeDoesNotOverflow() {
    assertEquals(Long.MAX_VALUE / SECOND + 1, Durations.ceilSeconds(Long.MAX_VALUE));
    assertEquals(Long.MAX_VALUE / MILLI + 1, Durations.ceilMillis(Long.MAX_VALUE));
  }

  @Test
  void aDurationRoundsUpWithoutConvertingToNanoseconds() {
    assertEquals(0, Durations.ceilSeconds(Duration.ZERO));
    assertEquals(1, Durations.ceilSeconds(Duration.ofNanos(1)));
    assertEquals(1, Durations.ceilSeconds(Duration.ofSeconds(1)));
    assertEquals(2, Durations.ceilSeconds(Duration.ofMillis(1001)));
    assertEquals(Long.MAX_VALUE, Durations.ceilSeconds(Duration.ofSeconds(Long.MAX_VALUE - 1, 1)),
        "a window longer than a long of nanoseconds still rounds");
  }

  @Test
  void wordsUseTheLargestWholeUnit() {
    assertEquals("1 second", Durations.words(Duration.ofSeconds(1)));
    assertEquals("90 seconds", Durations.words(Duration.ofSeconds(90)));
    assertEquals("1 minute", Durations.words(Duration.ofMinutes(1)));
    assertEquals("10 minutes", Durations.words(Duration.ofMinutes(10)));
    assertEquals("1 hour", Durations.words(Duration.ofHours(1)));
    assertEquals("2 days", Durations.words(Duration.ofDays(2)));
    assertEquals("250 milliseconds", Durations.words(Duration.ofMillis(250)));
    assertEquals("1 millisecond", Durations.words(Duration.ofMillis(1)));
  }

  @Test
  void wordsFallBackToTheCompactFormForMixedUnits() {
    assertEquals("1.5s", Durations.words(Duration.ofMillis(1500)));
    assertEquals("0.0000005s", Durations.words(Duration.ofNanos(500)));
  }

  @Test
  void theCompactFormIsIsoWithoutItsPrefix() {
    assertEquals("1s", Durations.compact(Duration.ofSeconds(1)));
    assertEquals("1m30s", Durations.compact(Duration.ofSeconds(90)));
    assertEquals("24h", Durations.compact(Duration.ofDays(1)));
    assertEquals("0.25s", Durations.compact(Duration.ofMillis(250)));
  }
}
