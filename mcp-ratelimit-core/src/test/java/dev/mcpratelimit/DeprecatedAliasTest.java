package dev.mcpratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.ZoneId;
import org.junit.jupiter.api.Test;

/** The deprecated spellings of renamed API members still work and mean the new ones. */
@SuppressWarnings("deprecation")
class DeprecatedAliasTest {

  @Test
  void fixedWindowBuildsTheSameSpecAsCalendarWindow() {
    assertEquals(LimitSpec.calendarWindow(5, WindowUnit.HOUR), LimitSpec.fixedWindow(5, WindowUnit.HOUR));
    ZoneId ny = ZoneId.of("America/New_York");
    assertEquals(LimitSpec.calendarWindow(3, WindowUnit.DAY, ny), LimitSpec.fixedWindow(3, WindowUnit.DAY, ny));
    assertEquals(LimitSpec.MAX_CALENDAR_WINDOW_LIMIT, LimitSpec.MAX_FIXED_WINDOW_LIMIT);
  }
}
