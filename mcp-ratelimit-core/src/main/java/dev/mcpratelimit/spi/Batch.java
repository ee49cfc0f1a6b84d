package dev.mcpratelimit.spi;

import dev.mcpratelimit.LimitSpec;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The limits one decision takes at once: for each applicable rule a key, a spec, a cost and the
 * longest the caller will wait, plus a {@link Probe} per entry that the store fills with its
 * outcome. The engine builds it, one per thread, and reuses it for the next decision as soon as
 * {@link LimiterStore#acquire} returns: a store must copy whatever its ticket needs.
 *
 * <p>Not thread-safe.
 */
public final class Batch {
  private @Nullable LimitKey[] keys = new LimitKey[4];
  private String[] rules = new String[4];
  private String[] spaces = new String[4];
  private @Nullable String[] parts = new String[4];
  private LimitSpec[] specs = new LimitSpec[4];
  private long[] costs = new long[4];
  private long[] maxWaits = new long[4];
  private Probe[] probes = {new Probe(), new Probe(), new Probe(), new Probe()};
  private int size;
  private long now;

  /** Creates an empty batch. */
  public Batch() {}

  /**
   * Empties the batch for a new decision.
   *
   * @param now the decision's clock reading (epoch nanoseconds)
   * @return this batch
   */
  public Batch reset(long now) {
    for (int i = 0; i < size; i++) { // a plain loop: a decision has few entries
      keys[i] = null;
      rules[i] = null;
      spaces[i] = null;
      parts[i] = null;
      specs[i] = null;
    }
    this.size = 0;
    this.now = now;
    return this;
  }

  /**
   * Adds an entry.
   *
   * @param key the key of the limit state
   * @param spec its limit
   * @param cost the cost to take, 0 or more
   * @param maxWaitNanos the longest the caller will wait for this entry, 0 or more
   * @return the entry's index
   */
  public int add(LimitKey key, LimitSpec spec, long cost, long maxWaitNanos) {
    int i = add(key.rule(), key.space(), key.part(), spec, cost, maxWaitNanos);
    keys[i] = key;
    return i;
  }

  /**
   * Adds an entry without allocating a {@link LimitKey} (the engine's hot path).
   *
   * @param rule the rule's name
   * @param space the rule's state identity
   * @param part the identity part, or {@code null} for the shared anonymous bucket
   * @param spec its limit
   * @param cost the cost to take, 0 or more
   * @param maxWaitNanos the longest the caller will wait for this entry, 0 or more
   * @return the entry's index
   */
  public int add(String rule, String space, @Nullable String part, LimitSpec spec, long cost, long maxWaitNanos) {
    if (size == keys.length) {
      int n = size * 2;
      keys = Arrays.copyOf(keys, n);
      rules = Arrays.copyOf(rules, n);
      spaces = Arrays.copyOf(spaces, n);
      parts = Arrays.copyOf(parts, n);
      specs = Arrays.copyOf(specs, n);
      costs = Arrays.copyOf(costs, n);
      maxWaits = Arrays.copyOf(maxWaits, n);
      probes = Arrays.copyOf(probes, n);
      for (int i = size; i < n; i++) {
        probes[i] = new Probe();
      }
    }
    rules[size] = Objects.requireNonNull(rule, "rule");
    spaces[size] = Objects.requireNonNull(space, "space");
    parts[size] = part;
    specs[size] = Objects.requireNonNull(spec, "spec");
    costs[size] = cost;
    maxWaits[size] = maxWaitNanos;
    probes[size].set(false, 0, Probe.NEVER, Probe.NEVER, 0);
    return size++;
  }

  /** @return the number of entries */
  public int size() {
    return size;
  }

  /** @return the decision's clock reading, epoch nanoseconds */
  public long now() {
    return now;
  }

  /** @param i index @return the entry's key (created on first use) */
  public LimitKey key(int i) {
    LimitKey k = keys[check(i)];
    if (k == null) {
      k = new LimitKey(rules[i], spaces[i], parts[i]);
      keys[i] = k;
    }
    return k;
  }

  /** @param i index @return the name of the entry's rule */
  public String rule(int i) {
    return rules[check(i)];
  }

  /** @param i index @return the entry's state identity (see {@link LimitKey#space()}) */
  public String space(int i) {
    return spaces[check(i)];
  }

  /** @param i index @return the entry's identity part, or {@code null} for the shared bucket */
  public @Nullable String part(int i) {
    return parts[check(i)];
  }

  /** @param i index @return the entry's spec */
  public LimitSpec spec(int i) {
    return specs[check(i)];
  }

  /** @param i index @return the entry's cost */
  public long cost(int i) {
    return costs[check(i)];
  }

  /** @param i index @return the longest the caller waits for the entry, nanoseconds */
  public long maxWaitNanos(int i) {
    return maxWaits[check(i)];
  }

  /** @param i index @return the probe the store fills with the entry's outcome */
  public Probe probe(int i) {
    return probes[check(i)];
  }

  private int check(int i) {
    if (i < 0 || i >= size) {
      throw new IndexOutOfBoundsException("entry " + i + " of a batch of " + size);
    }
    return i;
  }
}
