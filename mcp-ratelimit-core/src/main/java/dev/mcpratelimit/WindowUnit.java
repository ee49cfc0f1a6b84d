package dev.mcpratelimit;

import java.time.Duration;
import java.time.temporal.ChronoUnit;

/** The calendar unit of a {@link LimitSpec.CalendarWindow}: windows start at the top of the unit. */
public enum WindowUnit {
  /** From second 0 of each minute. */
  MINUTE(ChronoUnit.MINUTES),
  /** From the top of each hour. */
  HOUR(ChronoUnit.HOURS),
  /** From midnight. */
  DAY(ChronoUnit.DAYS);

  private final ChronoUnit chronoUnit;

  WindowUnit(ChronoUnit chronoUnit) {
    this.chronoUnit = chronoUnit;
  }

  /** @return the matching {@link ChronoUnit} */
  public ChronoUnit chronoUnit() {
    return chronoUnit;
  }

  /** @return the nominal length (a day with a daylight-saving change may be longer or shorter) */
  public Duration nominalLength() {
    return chronoUnit.getDuration();
  }
}
