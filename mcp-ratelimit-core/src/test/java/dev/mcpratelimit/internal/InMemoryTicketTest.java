package dev.mcpratelimit.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.LimitSpec;
import dev.mcpratelimit.WindowUnit;
import dev.mcpratelimit.spi.Batch;
import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.testing.FakeClock;
import org.junit.jupiter.api.Test;

/**
 * The in-memory store's tickets: the compact one packs three costs below 2^21 and gives back
 * exactly what it took, a larger cost takes the general one, and either, handed out as the grant,
 * settles once.
 */
class InMemoryTicketTest {
  private static final long LIMIT = 10_000_000;
  private static final LimitSpec DAY = LimitSpec.calendarWindow(LIMIT, WindowUnit.DAY);

  private final FakeClock clock = FakeClock.create();
  private final CaffeineStore store = new CaffeineStore(1000, clock);
  private final Batch batch = new Batch();

  private LimiterStore.Ticket take(long... costs) {
    batch.reset(clock.nanos());
    for (int i = 0; i < costs.length; i++) {
      batch.add("r" + i, "space" + i, "alice", DAY, costs[i], 0);
    }
    return store.acquire(batch);
  }

  /** @return whether every space has its whole limit left */
  private boolean allGivenBack(int spaces) {
    long[] whole = new long[spaces];
    java.util.Arrays.fill(whole, LIMIT);
    LimiterStore.Ticket t = take(whole);
    if (t == null) {
      return false;
    }
    t.refund();
    return true;
  }

  @Test
  void theCompactTicketGivesBackCostsAtItsLargestSize() {
    long max = CaffeineStore.Small.MAX_COST;
    LimiterStore.Ticket t = take(max, 1, max);
    assertInstanceOf(CaffeineStore.Small.class, t);
    t.refund();
    assertTrue(allGivenBack(3), "each packed cost was given back whole");
  }

  @Test
  void aCostTooLargeToPackTakesTheGeneralTicket() {
    LimiterStore.Ticket t = take(1, CaffeineStore.Small.MAX_COST + 1);
    assertInstanceOf(CaffeineStore.Large.class, t);
    t.refund();
    assertTrue(allGivenBack(2));
  }

  @Test
  void aTicketReleasedTwiceAsTheGrantGivesBackOnce() {
    LimiterStore.Ticket first = take(LIMIT / 2);
    LimiterStore.Ticket second = take(LIMIT / 2);
    assertNotNull(first);
    assertNotNull(second);
    Settlement grant = assertInstanceOf(Settlement.class, first);
    grant.release();
    grant.release();
    grant.commit();
    assertTrue(grant.isSettled());
    assertNull(take(LIMIT / 2 + 1), "half the limit is still taken by the second ticket: one refund, not two");
    LimiterStore.Ticket rest = take(LIMIT / 2);
    assertNotNull(rest, "and the first half came back");
    assertFalse(((Settlement) second).isSettled(), "settling one ticket settles no other");
  }
}
