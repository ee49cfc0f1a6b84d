package dev.mcpratelimit.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The policy file's {@code store} section: parsed into a {@link StoreSection}, bad shapes located. */
class StoreSectionTest {
  private static final String RULES = "version: 1\ntools:\n  x:\n    rules:\n      - { name: r, rateLimit: 5/minute }\n";

  @Test
  void aStoreSectionIsReadAsKindAndLocation() {
    PolicyFile f = PolicyLoader.parse(RULES + "store: { file: ratelimit.db }\n", "p.yaml", false);
    assertEquals(new StoreSection("file", "ratelimit.db"), f.store());
    PolicyFile j = PolicyLoader.parse(RULES + "store:\n  jdbc: \"jdbc:postgresql://db/app?password=s3cret\"\n", "p.yaml", false);
    assertEquals("jdbc", j.store().kind());
    assertTrue(!j.store().toString().contains("s3cret"), "a URL's password is not printed: " + j.store());
    assertNull(PolicyLoader.parse(RULES, "p.yaml", false).store(), "no section: the application's store");
  }

  @Test
  void badStoreSectionsAreLocatedProblems() {
    for (String bad : List.of("store: ratelimit.db\n", "store: {}\n", "store: { file: a.db, jdbc: \"jdbc:x\" }\n",
        "store: { file: 5 }\n", "store: { file: \"\" }\n")) {
      PolicyException e = assertThrows(PolicyException.class, () -> PolicyLoader.parse(RULES + bad, "p.yaml", false), bad);
      assertTrue(e.problems().stream().anyMatch(p -> p.toString().contains("store")), bad + " -> " + e.problems());
    }
  }

  @Test
  void aKindWithoutProviderNamesWhatIsMissing() {
    // the adapter's tests do not have mcp-ratelimit-jdbc on the class path
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new StoreSection("file", "ratelimit.db").open());
    assertTrue(e.getMessage().contains("'file'") && e.getMessage().contains("mcp-ratelimit-jdbc"), e.getMessage());
  }
}
