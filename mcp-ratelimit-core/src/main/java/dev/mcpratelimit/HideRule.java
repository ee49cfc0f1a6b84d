package dev.mcpratelimit;

import java.util.List;
import java.util.Objects;

/**
 * Hides one tool from some callers: hidden tools are left out of {@code tools/list} and a call to
 * one is denied as {@link DenialReason#HIDDEN}. A rule hides its tool from a caller when all its
 * {@code when} conditions hold (none: always) and not all its {@code unless} conditions hold
 * (none: never excused), for example "hidden unless {@code identity.role eq admin}".
 *
 * <p>The same predicate, {@link RateLimitPolicy#isHiddenFor(CallContext)}, decides both the
 * listing and the call, so a tool hidden from a caller is never callable by it and a tool it sees
 * is never denied as hidden. To keep that true, conditions may read only identity attributes that a
 * {@code tools/list} request carries too: {@code identity.user}, {@code identity.tenant} or
 * {@code identity.<attribute>} — not arguments (a listing has none) and not
 * {@code identity.session} or {@code identity.client} (taken from the MCP session, which the list
 * filter does not see).
 *
 * <p>Immutable and thread-safe; validated when created.
 */
public final class HideRule {
  private final String tool;
  private final Condition[] when;
  private final Condition[] unless;

  private HideRule(String tool, List<Condition> when, List<Condition> unless) {
    this.tool = tool;
    this.when = when.toArray(new Condition[0]);
    this.unless = unless.toArray(new Condition[0]);
  }

  /**
   * @param tool a tool name
   * @return a rule hiding it from every caller
   */
  public static HideRule always(String tool) {
    return of(tool, List.of(), List.of());
  }

  /**
   * Creates a rule.
   *
   * @param tool a tool name, not blank
   * @param when conditions that must all hold for the tool to be hidden (empty: always)
   * @param unless conditions that, when all hold, excuse the caller (empty: never)
   * @return the rule
   * @throws IllegalArgumentException when a condition reads something other than an identity
   *     attribute a listing carries
   */
  public static HideRule of(String tool, List<Condition> when, List<Condition> unless) {
    Objects.requireNonNull(tool, "tool");
    if (tool.isBlank()) {
      throw new IllegalArgumentException("hidden tool name must not be blank");
    }
    check(tool, "when", when);
    check(tool, "unless", unless);
    return new HideRule(tool, List.copyOf(when), List.copyOf(unless));
  }

  private static void check(String tool, String field, List<Condition> conditions) {
    for (Condition c : conditions) {
      String attr = Objects.requireNonNull(c, field).identityAttribute();
      if (attr == null) {
        throw new IllegalArgumentException("hide of '" + tool + "': " + field + " condition on '" + c.path()
            + "' reads an argument, but a tools/list request has none; use identity.user, identity.tenant or identity.<attribute>");
      }
      if (attr.equals(CallContext.SESSION) || attr.equals(CallContext.CLIENT)) {
        throw new IllegalArgumentException("hide of '" + tool + "': " + field + " condition on '" + c.path()
            + "' reads the MCP session, which tools/list filters do not see; use identity.user, identity.tenant or identity.<attribute>");
      }
    }
  }

  /** @return the tool name */
  public String tool() {
    return tool;
  }

  /** @return the conditions that must all hold for the tool to be hidden */
  public List<Condition> when() {
    return List.of(when);
  }

  /** @return the conditions that, when all hold, excuse the caller */
  public List<Condition> unless() {
    return List.of(unless);
  }

  /** @return whether this rule hides its tool from every caller (no conditions) */
  public boolean isUnconditional() {
    return when.length == 0 && unless.length == 0;
  }

  /**
   * Whether this rule hides its tool from the caller of {@code call}. Reads only identity
   * attributes; allocates nothing.
   *
   * @param call the call (or listing) and its caller
   * @return whether the tool is hidden from that caller
   */
  public boolean hides(CallContext call) {
    for (Condition c : when) {
      if (!c.test(call)) {
        return false;
      }
    }
    if (unless.length == 0) {
      return true;
    }
    for (Condition c : unless) {
      if (!c.test(call)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return tool + (when.length == 0 ? "" : " when " + List.of(when)) + (unless.length == 0 ? "" : " unless " + List.of(unless));
  }
}
