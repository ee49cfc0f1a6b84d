package dev.mcpratelimit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.Decision;
import dev.mcpratelimit.RateLimitListener;
import dev.mcpratelimit.spi.LimiterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The one settle-once mechanism: the first settle wins, and the grant settles each ticket once. */
class SettlementTest {

  /** Counts what settling did. */
  private static final class Counting extends Settlement {
    final AtomicInteger kept = new AtomicInteger();
    final AtomicInteger givenBack = new AtomicInteger();

    @Override
    void keep() {
      kept.incrementAndGet();
    }

    @Override
    void giveBack() {
      givenBack.incrementAndGet();
    }
  }

  /** A ticket that is a settlement, as the in-memory store's are. */
  private static final class SettlingTicket extends Settlement implements LimiterStore.Ticket {
    @Override
    void keep() {}

    @Override
    void giveBack() {}

    @Override
    public void refund() {}

    @Override
    public void releasePermits() {}
  }

  /** A foreign store's ticket: counts its calls, optionally throwing. */
  private static final class CountingTicket implements LimiterStore.Ticket {
    final AtomicInteger refunds = new AtomicInteger();
    final AtomicInteger releases = new AtomicInteger();
    final boolean fail;

    CountingTicket(boolean fail) {
      this.fail = fail;
    }

    @Override
    public void refund() {
      refunds.incrementAndGet();
      if (fail) {
        throw new IllegalStateException("refund timed out");
      }
    }

    @Override
    public void releasePermits() {
      releases.incrementAndGet();
      if (fail) {
        throw new IllegalStateException("release timed out");
      }
    }
  }

  @Test
  void aSecondCommitOrReleaseDoesNothing() {
    Counting s = new Counting();
    assertFalse(s.isSettled());
    s.commit();
    s.commit();
    s.release();
    assertTrue(s.isSettled());
    assertEquals(1, s.kept.get());
    assertEquals(0, s.givenBack.get(), "a release after a commit gives nothing back");

    Counting r = new Counting();
    r.release();
    r.commit();
    r.release();
    assertEquals(1, r.givenBack.get());
    assertEquals(0, r.kept.get());
  }

  @Test
  void racingSettlesRunExactlyOneAction() throws InterruptedException {
    for (int round = 0; round < 200; round++) {
      Counting s = new Counting();
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        boolean commit = t % 2 == 0;
        Thread th = new Thread(() -> {
          try {
            start.await();
          } catch (InterruptedException e) {
            return;
          }
          if (commit) {
            s.commit();
          } else {
            s.release();
          }
        });
        th.start();
        threads.add(th);
      }
      start.countDown();
      for (Thread th : threads) {
        th.join();
      }
      assertEquals(1, s.kept.get() + s.givenBack.get(), "round " + round);
    }
  }

  @Test
  void aSettlementTicketIsTheGrantWhenNothingElseNeedsSaying() {
    SettlingTicket ticket = new SettlingTicket();
    assertSame(ticket, Grant.of(ticket, null, 0, null, null));
    assertNotSame(ticket, Grant.of(ticket, null, 5, null, null), "a delay needs a grant of its own");
    assertNotSame(ticket, Grant.of(ticket, new CountingTicket(false), 0, null, null), "so does a shadow ticket");
  }

  @Test
  void aForeignTicketIsWrappedAndSettledOnceWhateverTheCallerDoes() {
    CountingTicket ticket = new CountingTicket(false);
    CountingTicket shadow = new CountingTicket(false);
    Decision.Granted g = Grant.of(ticket, shadow, 0, null, null);
    assertFalse(g instanceof LimiterStore.Ticket, "the store's ticket is not handed out as the API grant");
    g.release();
    g.release();
    g.commit();
    assertTrue(g.isSettled());
    assertEquals(1, ticket.refunds.get());
    assertEquals(0, ticket.releases.get());
    assertEquals(1, shadow.refunds.get(), "the shadow ticket is settled alongside");
  }

  @Test
  void aFailedSettleGoesToTheListenersNotTheCaller() {
    List<Throwable> errors = new ArrayList<>();
    RateLimitListener listener = new RateLimitListener() {
      @Override
      public void onStoreError(Throwable error) {
        errors.add(error);
      }
    };
    CountingTicket ticket = new CountingTicket(true);
    CountingTicket shadow = new CountingTicket(false);
    Decision.Granted g = Grant.of(ticket, shadow, 0, List.of(), listener);
    g.commit(); // does not throw
    g.commit();
    assertEquals(1, errors.size(), "one settle, one failure: " + errors);
    assertEquals("release timed out", errors.get(0).getMessage());
    assertEquals(1, shadow.releases.get(), "a failing ticket does not keep the next one from settling");
  }
}
