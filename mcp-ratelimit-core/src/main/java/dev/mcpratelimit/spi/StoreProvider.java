package dev.mcpratelimit.spi;

import java.util.ServiceLoader;

/**
 * Opens a {@link LimiterStore} named in configuration (a policy file's {@code store: { kind:
 * location }} section), found with {@link ServiceLoader} so that whoever reads the configuration
 * does not depend on the store's module: the jdbc module provides {@code file} (an SQLite file)
 * and {@code jdbc} (a JDBC URL).
 */
public interface StoreProvider {
  /**
   * @return the kind this provider opens, the key of the {@code store} section (e.g. {@code file})
   */
  String kind();

  /**
   * Opens a store.
   *
   * @param location the section's value (a file path, a URL)
   * @return the store; the caller closes it
   * @throws IllegalArgumentException when the location is not usable, naming it
   */
  LimiterStore open(String location);

  /**
   * Opens a store through the provider of {@code kind} on the class path.
   *
   * @param kind e.g. {@code file}
   * @param location e.g. {@code ratelimit.db}
   * @return the store
   * @throws IllegalArgumentException when no provider opens that kind, or the location is bad
   */
  static LimiterStore open(String kind, String location) {
    StringBuilder known = new StringBuilder();
    for (StoreProvider p : ServiceLoader.load(StoreProvider.class, StoreProvider.class.getClassLoader())) {
      if (p.kind().equals(kind)) {
        return p.open(location);
      }
      known.append(known.length() == 0 ? "" : ", ").append(p.kind());
    }
    throw new IllegalArgumentException("no store of kind '" + kind + "' on the class path (known: "
        + (known.length() == 0 ? "none" : known) + "); 'file' and 'jdbc' come with mcp-ratelimit-jdbc");
  }
}
