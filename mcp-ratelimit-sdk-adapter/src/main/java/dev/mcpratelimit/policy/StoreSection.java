package dev.mcpratelimit.policy;

import dev.mcpratelimit.spi.LimiterStore;
import dev.mcpratelimit.spi.StoreProvider;
import java.util.Objects;

/**
 * A policy file's {@code store} section, {@code store: { <kind>: <location> }}, e.g.
 * {@code store: { file: ratelimit.db }} or {@code store: { jdbc: "jdbc:postgresql://db/app" }}.
 * The store is opened by the {@link StoreProvider} of that kind on the class path (the jdbc
 * module provides {@code file} and {@code jdbc}), so this module does not depend on it.
 *
 * @param kind the store kind
 * @param location where the store is (a file, a URL)
 */
public record StoreSection(String kind, String location) {
  /** Validates. */
  public StoreSection {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(location, "location");
  }

  /**
   * Opens the store.
   *
   * @return the store; the caller closes it
   * @throws IllegalArgumentException when no provider of the kind is on the class path or the
   *     location is bad
   */
  public LimiterStore open() {
    return StoreProvider.open(kind, location);
  }

  @Override
  public String toString() {
    return "store: { " + kind + ": " + (kind.equals("jdbc") ? "<url>" : location) + " }"; // a URL may hold a password
  }
}
