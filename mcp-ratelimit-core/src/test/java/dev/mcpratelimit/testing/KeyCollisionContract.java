package dev.mcpratelimit.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.KeyResolver;
import dev.mcpratelimit.KeyResolvers;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.Rule;
import dev.mcpratelimit.spi.LimiterStore;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Store contract, part of {@link StoreContract}: Distinct callers never share a bucket, whatever their names.
 */
public abstract class KeyCollisionContract extends MissingIdentityContract {
  @Test
  void compositeKeysOfAmbiguousPartsNeverShareABucket() {
    Rule pair = Rule.builder("pair").key(KeyResolvers.composite(KeyResolvers.user(), KeyResolvers.tenant()))
        .limit(frozen(1)).build();
    RateLimiter l = limiter(pair);
    String[][] pairs = {{"a:b", "c"}, {"a", "b:c"}, {"1:a", "1:b"}, {"1:a1:b", ""}, {"", "1:a1:b"},
        {"a|b", "c"}, {"a", "b|c"}, {"a\u0000b", "c"}, {"a", "b\u0000c"}, {"3:a:b", "c"}, {"", ""}, {"-", ""}};
    for (String[] p : pairs) {
      assertTrue(take(l, call("x", p[0], p[1])), () -> "pair " + Arrays.toString(p) + " shared a bucket");
    }
    for (String[] p : pairs) {
      assertFalse(take(l, call("x", p[0], p[1])), () -> "pair " + Arrays.toString(p) + " has its own bucket");
    }
  }

  private @Nullable LimiterStore propertyStore;
  private @Nullable RateLimiter propertyLimiter;

  private RateLimiter propertyLimiter() {
    if (propertyLimiter == null) {
      // jqwik runs properties outside JUnit's @BeforeEach: one store per property, shared by its tries
      FakeClock c = FakeClock.create();
      propertyStore = newStore(c);
      KeyResolver key = KeyResolvers.composite(KeyResolvers.attribute("nonce"), KeyResolvers.user(),
          KeyResolvers.tenant());
      propertyLimiter = RateLimiter.builder(RateLimitPolicy.builder()
              .rule(Rule.builder("pair").key(key).limit(frozen(1)).build()).build())
          .clock(c).store(propertyStore).build();
    }
    return propertyLimiter;
  }

  @AfterProperty
  void closePropertyStore() {
    if (propertyStore != null) {
      propertyStore.close();
      propertyStore = null;
      propertyLimiter = null;
    }
  }

  @Provide
  Arbitrary<String> keyParts() {
    return Arbitraries.oneOf(
        Arbitraries.strings().withChars("ab01:|-\u0000").ofMaxLength(6),
        Arbitraries.strings().ofMaxLength(12));
  }

  @Property(tries = 400)
  void compositeKeysOfArbitraryStringsNeverShareABucket(
      @ForAll("keyParts") String user1, @ForAll("keyParts") String tenant1,
      @ForAll("keyParts") String user2, @ForAll("keyParts") String tenant2) {
    Assume.that(!(user1.equals(user2) && tenant1.equals(tenant2)));
    RateLimiter l = propertyLimiter();
    String n = Long.toString(nonce.incrementAndGet()); // a fresh pair of buckets per try
    CallContext first = CallContext.tool("x").attribute("nonce", n).user(user1).tenant(tenant1).build();
    CallContext second = CallContext.tool("x").attribute("nonce", n).user(user2).tenant(tenant2).build();
    assertTrue(take(l, first));
    assertTrue(take(l, second), "(" + user2 + ", " + tenant2 + ") shared the bucket of (" + user1 + ", " + tenant1 + ")");
    assertFalse(take(l, first), "the bucket is real");
  }
}
