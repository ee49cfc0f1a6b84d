package dev.mcpratelimit;

import dev.mcpratelimit.internal.ArgumentPath;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * A test on a call's arguments, such as {@code args.amount lte 50000}, or on the caller's identity,
 * such as {@code identity.plan eq pro}. As a rule's requirement ({@link Rule#conditions()}) every
 * condition must hold or the call is denied (no counter is touched) and waiting cannot help; as a
 * rule's selector ({@link Rule#when()}) a call that fails one is simply not subject to the rule.
 *
 * <p>A path starting with {@code identity.} reads an identity attribute of the call
 * ({@code identity.user}, {@code identity.tenant}, {@code identity.session},
 * {@code identity.client}, or any other name the transport put there, such as
 * {@code identity.plan}); identity values are text, so the ordering operators compare them as
 * strings. Every other path reads the arguments ({@code args.} prefix optional; an argument named
 * {@code identity} is reached as {@code args.identity}).
 *
 * <p>Numbers compare by value whatever their Java type ({@code 1} equals {@code 1.0}); ordering
 * operators need numbers on both sides (or two strings, compared lexicographically) and fail
 * otherwise; a missing argument fails every operator except {@code exists: false} and
 * {@code neq}/{@code not_in}. Immutable and thread-safe; validated when created.
 *
 * <p>Agents choose the text a condition reads, so reading it is bounded: {@code regex} runs on
 * RE2J, whose time grows linearly with the text (no backtracking, so no pattern can be made to
 * spin or overflow the stack; backreferences and lookaround, which need backtracking, are rejected
 * when the condition is created), and {@code regex} and {@code contains} fail on a text longer
 * than {@value #MAX_TEXT_LENGTH} characters without reading it.
 */
public final class Condition {
  /**
   * Longest argument text, in characters, that {@code regex} and {@code contains} read; a longer
   * one fails the condition (the call is denied).
   */
  public static final int MAX_TEXT_LENGTH = 100_000;

  /** The operators. */
  public enum Op {
    /** Equal to the value. */
    EQ("eq"),
    /** Not equal to the value (a missing argument is not equal). */
    NEQ("neq"),
    /** Equal to one element of the value (a list). */
    IN("in"),
    /** Equal to no element of the value (a list). */
    NOT_IN("not_in"),
    /** Less than. */
    LT("lt"),
    /** Less than or equal. */
    LTE("lte"),
    /** Greater than. */
    GT("gt"),
    /** Greater than or equal. */
    GTE("gte"),
    /**
     * The argument, as text, contains a match of the value: a regular expression in RE2 syntax
     * (Java's, less backreferences and lookaround), matched in linear time.
     */
    REGEX("regex"),
    /** The argument (text) contains the value as a substring, or (list) contains it as an element. */
    CONTAINS("contains"),
    /** The argument is present and not null ({@code value: true}) or absent ({@code false}). */
    EXISTS("exists");

    private final String text;

    Op(String text) {
      this.text = text;
    }

    /** @return the name used in policy files, e.g. {@code not_in} */
    public String text() {
      return text;
    }

    /**
     * @param text a policy-file name such as {@code lte}
     * @return the operator
     * @throws IllegalArgumentException for an unknown name
     */
    public static Op fromText(String text) {
      for (Op op : values()) {
        if (op.text.equals(text)) {
          return op;
        }
      }
      StringBuilder names = new StringBuilder();
      for (Op op : values()) {
        names.append(names.length() == 0 ? "" : ", ").append(op.text);
      }
      throw new IllegalArgumentException("unknown operator '" + text + "': expected one of " + names);
    }
  }

  /** Path prefix that reads an identity attribute instead of an argument. */
  public static final String IDENTITY_PREFIX = "identity.";

  private final String path;
  private final @Nullable ArgumentPath argumentPath;
  private final @Nullable String identityAttribute;
  private final Op op;
  private final @Nullable Object value;
  private final @Nullable Pattern pattern;

  private Condition(String path, Op op, @Nullable Object value) {
    this.path = path;
    this.identityAttribute = identityAttributeOf(path);
    this.argumentPath = identityAttribute == null ? ArgumentPath.parse(path) : null;
    this.op = op;
    this.value = value;
    Pattern pat = null;
    switch (op) {
      case IN, NOT_IN -> {
        if (!(value instanceof Collection<?>)) {
          throw new IllegalArgumentException("value of '" + op.text + "' on " + path + " must be a list, but was " + value);
        }
      }
      case LT, LTE, GT, GTE -> {
        if (!(value instanceof Number) && !(value instanceof String)) {
          throw new IllegalArgumentException("value of '" + op.text + "' on " + path + " must be a number or string, but was " + value);
        }
        if (value instanceof Number n && decimal(n) == null) {
          // nothing orders against NaN or an infinity: the condition would fail every call
          throw new IllegalArgumentException("value of '" + op.text + "' on " + path + " must be a finite number, but was " + value);
        }
      }
      case REGEX -> {
        if (!(value instanceof String s)) {
          throw new IllegalArgumentException("value of 'regex' on " + path + " must be a string, but was " + value);
        }
        try {
          pat = Pattern.compile(s);
        } catch (PatternSyntaxException e) {
          throw new IllegalArgumentException("regex on " + path + " does not compile: " + e.getDescription()
              + " in '" + s + "'" + (unsupported(s)
                  ? " (backreferences and lookaround are not supported: regular expressions run in linear time)" : ""));
        }
      }
      case EXISTS -> {
        if (!(value instanceof Boolean)) {
          throw new IllegalArgumentException("value of 'exists' on " + path + " must be true or false, but was " + value);
        }
      }
      case CONTAINS, EQ, NEQ -> {
        if (value instanceof Map<?, ?>) {
          throw new IllegalArgumentException("value of '" + op.text + "' on " + path + " must not be an object");
        }
      }
    }
    this.pattern = pat;
  }

  /**
   * Creates a condition.
   *
   * @param path a dotted argument path ({@code args.amount} or {@code amount})
   * @param op the operator
   * @param value the operand: a number, string, boolean, or a list for {@code in}/{@code not_in}
   * @return the condition
   * @throws IllegalArgumentException when the path is malformed, the value does not suit the
   *     operator, or a regex does not compile
   */
  public static Condition of(String path, Op op, @Nullable Object value) {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(op, "op");
    // copied (a later change to the caller's list does not change the condition); may hold null,
    // as in "in: [~, usd]" (List.copyOf would throw on it)
    return new Condition(path, op,
        value instanceof Collection<?> c ? Collections.unmodifiableList(new ArrayList<>(c)) : value);
  }

  /** @return the argument path as written */
  public String path() {
    return path;
  }

  /**
   * @return the identity attribute this condition reads ({@code plan} for {@code identity.plan}),
   *     or {@code null} when it reads the arguments
   */
  public @Nullable String identityAttribute() {
    return identityAttribute;
  }

  private static @Nullable String identityAttributeOf(String path) {
    if (!path.startsWith(IDENTITY_PREFIX)) {
      return null;
    }
    String name = path.substring(IDENTITY_PREFIX.length());
    if (name.isBlank()) {
      throw new IllegalArgumentException("identity path must name an attribute (identity.user, identity.tenant, "
          + "identity.session, identity.client or identity.<attribute>), but was '" + path + "'");
    }
    return name;
  }

  /** @return the operator */
  public Op op() {
    return op;
  }

  /** @return the operand */
  public @Nullable Object value() {
    return value;
  }

  /**
   * Evaluates this condition against a call's arguments (an {@code identity.} condition sees its
   * attribute as missing; use {@link #test(CallContext)}).
   *
   * @param arguments the arguments
   * @return whether it holds
   */
  public boolean test(Map<String, ?> arguments) {
    // an identity condition has no identity to read here: the attribute is missing
    return holds(argumentPath == null ? ArgumentPath.MISSING : argumentPath.read(arguments));
  }

  /**
   * Evaluates this condition against a call: its identity attributes for an {@code identity.}
   * path, its arguments otherwise.
   *
   * @param call the call
   * @return whether it holds
   */
  public boolean test(CallContext call) {
    if (identityAttribute != null) {
      String v = call.attribute(identityAttribute);
      return holds(v == null ? ArgumentPath.MISSING : v);
    }
    return holds(argumentPath.read(call.arguments()));
  }

  private boolean holds(@Nullable Object actual) {
    boolean missing = actual == ArgumentPath.MISSING;
    switch (op) {
      case EXISTS:
        return Boolean.TRUE.equals(value) == (!missing && actual != null);
      case EQ:
        return !missing && same(actual, value);
      case NEQ:
        return missing || !same(actual, value);
      case IN:
        return !missing && anySame(actual, (Collection<?>) value);
      case NOT_IN:
        return missing || !anySame(actual, (Collection<?>) value);
      case LT:
        return ordered(actual) && compare(actual) < 0;
      case LTE:
        return ordered(actual) && compare(actual) <= 0;
      case GT:
        return ordered(actual) && compare(actual) > 0;
      case GTE:
        return ordered(actual) && compare(actual) >= 0;
      case REGEX: {
        if (missing || actual == null || actual instanceof Map<?, ?> || actual instanceof Collection<?> || pattern == null) {
          return false;
        }
        String text = actual.toString();
        return text.length() <= MAX_TEXT_LENGTH && pattern.matcher(text).find();
      }
      case CONTAINS:
        if (actual instanceof Collection<?> c) {
          return anySame(value, c);
        }
        return actual instanceof String s && value != null && s.length() <= MAX_TEXT_LENGTH && s.contains(value.toString());
      default:
        throw new AssertionError(op);
    }
  }

  /** Whether a pattern RE2 rejects uses a backreference or lookaround (for the message). */
  private static boolean unsupported(String pattern) {
    return java.util.regex.Pattern.compile("\\\\[1-9k]|\\(\\?<?[=!]").matcher(pattern).find();
  }

  /** Whether {@code actual} can be ordered against the value. */
  private boolean ordered(@Nullable Object actual) {
    if (actual instanceof Number n) {
      return value instanceof Number && decimal(n) != null && decimal((Number) value) != null;
    }
    return actual instanceof String && value instanceof String;
  }

  private int compare(@Nullable Object actual) {
    if (!ordered(actual)) {
      return 0;
    }
    if (actual instanceof Number n) {
      return decimal(n).compareTo(decimal((Number) value));
    }
    return ((String) actual).compareTo((String) value);
  }

  private static boolean anySame(@Nullable Object actual, Collection<?> candidates) {
    for (Object c : candidates) {
      if (same(actual, c)) {
        return true;
      }
    }
    return false;
  }

  private static boolean same(@Nullable Object a, @Nullable Object b) {
    if (a instanceof Number x && b instanceof Number y) {
      BigDecimal dx = decimal(x);
      BigDecimal dy = decimal(y);
      return dx != null && dy != null && dx.compareTo(dy) == 0;
    }
    return Objects.equals(a, b);
  }

  /** The exact decimal value of a number, or null for NaN and infinities. */
  static @Nullable BigDecimal decimal(Number n) {
    if (n instanceof BigDecimal d) {
      return d;
    }
    if (n instanceof Double || n instanceof Float) {
      double d = n.doubleValue();
      return Double.isFinite(d) ? BigDecimal.valueOf(d) : null;
    }
    if (n instanceof java.math.BigInteger bi) {
      return new BigDecimal(bi);
    }
    return BigDecimal.valueOf(n.longValue());
  }

  @Override
  public String toString() {
    return path + " " + op.text + " " + value;
  }
}
