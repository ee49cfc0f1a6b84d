package dev.mcpratelimit;

import dev.mcpratelimit.internal.ArgumentPath;
import dev.mcpratelimit.internal.Names;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The built-in {@link KeyResolver}s. Composite keys encode each part with its length, so no two
 * different combinations of parts can produce the same key, whatever characters they contain.
 */
public final class KeyResolvers {
  private KeyResolvers() {}

  private static final KeyResolver GLOBAL = of("global", c -> "");
  private static final KeyResolver TOOL = of("tool", CallContext::target);
  private static final KeyResolver USER = attribute(CallContext.USER);
  private static final KeyResolver TENANT = attribute(CallContext.TENANT);
  private static final KeyResolver SESSION = attribute(CallContext.SESSION);
  private static final KeyResolver CLIENT = attribute(CallContext.CLIENT);

  /** @return one key shared by every caller */
  public static KeyResolver global() {
    return GLOBAL;
  }

  /** @return the call's target: tool name, resource URI or prompt name */
  public static KeyResolver tool() {
    return TOOL;
  }

  /** @return the {@code user} identity attribute */
  public static KeyResolver user() {
    return USER;
  }

  /** @return the {@code tenant} identity attribute */
  public static KeyResolver tenant() {
    return TENANT;
  }

  /** @return the {@code session} identity attribute */
  public static KeyResolver session() {
    return SESSION;
  }

  /** @return the {@code client} identity attribute */
  public static KeyResolver client() {
    return CLIENT;
  }

  /**
   * @param name an identity attribute name
   * @return that attribute; its dimension is the attribute name
   */
  public static KeyResolver attribute(String name) {
    Objects.requireNonNull(name, "name");
    Names.checkNoControl("attribute name", name);
    return of(name, c -> c.attribute(name));
  }

  /**
   * A key from a call argument: {@code argument("args.repo")}. Strings, numbers and booleans are
   * used as text — a number by its value, so {@code 5}, {@code 5.0} and {@code "5"} share one key;
   * a missing, null, object or array value is a missing identity.
   *
   * @param path a dotted argument path, with or without the {@code args.} prefix
   * @return the resolver; its dimension is {@code args.<path>}
   * @throws IllegalArgumentException if the path is malformed
   */
  public static KeyResolver argument(String path) {
    ArgumentPath p = ArgumentPath.parse(path);
    String dim = path.startsWith("args.") ? path : "args." + path;
    return of(dim, c -> {
      Object v = p.read(c.arguments());
      if (v instanceof Number n) {
        return canonical(n);
      }
      if (v instanceof String || v instanceof Boolean) {
        return v.toString();
      }
      return null;
    });
  }

  /**
   * The key text of a number: its value, written one way whatever its JSON form, so {@code 5},
   * {@code 5.0}, {@code 5.00} and {@code 5e0} share one key (and the string {@code "5"}). Plain
   * digits while short; otherwise the scientific form of the value with trailing zeros stripped,
   * so {@code 1e1000000000} is never expanded.
   */
  static String canonical(Number n) {
    BigDecimal d;
    if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte
        || n instanceof BigInteger) {
      return n.toString();
    } else if (n instanceof BigDecimal b) {
      d = b;
    } else if (n instanceof Double || n instanceof Float) {
      double x = n.doubleValue();
      if (!Double.isFinite(x)) {
        return n.toString();
      }
      d = n instanceof Float ? new BigDecimal(n.toString()) : BigDecimal.valueOf(x);
    } else {
      return n.toString(); // an unknown Number type: its own text
    }
    if (d.signum() == 0) {
      return "0"; // 0, 0.0, -0.0
    }
    d = d.stripTrailingZeros();
    int scale = d.scale();
    boolean shortPlain = scale >= 0 ? scale <= 64 : d.precision() - (long) scale <= 64;
    return shortPlain ? d.toPlainString() : d.toString();
  }

  /**
   * Combines resolvers: the key is all their parts together (length-prefixed, collision-free);
   * missing if any part is missing.
   *
   * @param parts two or more resolvers (one returns it unchanged)
   * @return the composite
   */
  public static KeyResolver composite(List<KeyResolver> parts) {
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("a composite key needs at least one part");
    }
    if (parts.size() == 1) {
      return parts.get(0);
    }
    List<KeyResolver> copy = List.copyOf(parts);
    List<String> dims = new ArrayList<>();
    for (KeyResolver r : copy) {
      dims.addAll(r.dimensions());
    }
    List<String> dimensions = List.copyOf(dims);
    return new KeyResolver() {
      @Override
      public @Nullable String resolve(CallContext call) {
        StringBuilder sb = new StringBuilder(32);
        for (KeyResolver r : copy) {
          String v = r.resolve(call);
          if (v == null) {
            return null;
          }
          sb.append(v.length()).append(':').append(v);
        }
        return sb.toString();
      }

      @Override
      public List<String> dimensions() {
        return dimensions;
      }

      @Override
      public String toString() {
        return String.join("+", dimensions);
      }
    };
  }

  /** @see #composite(List) */
  public static KeyResolver composite(KeyResolver... parts) {
    return composite(List.of(parts));
  }

  /**
   * A custom resolver.
   *
   * @param dimension the name reported in denials, e.g. {@code "api-key"}
   * @param fn the resolution; may return {@code null} for "missing"
   * @return the resolver
   */
  public static KeyResolver of(String dimension, Function<CallContext, @Nullable String> fn) {
    Objects.requireNonNull(dimension, "dimension");
    Objects.requireNonNull(fn, "fn");
    Names.checkNoControl("key dimension", dimension);
    List<String> dims = List.of(dimension);
    return new KeyResolver() {
      @Override
      public @Nullable String resolve(CallContext call) {
        return fn.apply(call);
      }

      @Override
      public List<String> dimensions() {
        return dims;
      }

      @Override
      public String toString() {
        return dimension;
      }
    };
  }

  /**
   * Resolves a dimension name as used in policy files: {@code user}, {@code tenant},
   * {@code session}, {@code client}, {@code tool}, {@code global}, {@code args.<path>} or
   * {@code attr.<name>}.
   *
   * @param name the dimension name
   * @return the resolver
   * @throws IllegalArgumentException for an unknown name
   */
  public static KeyResolver named(String name) {
    switch (name) {
      case "user": return USER;
      case "tenant": return TENANT;
      case "session": return SESSION;
      case "client": return CLIENT;
      case "tool": return TOOL;
      case "global": return GLOBAL;
      default:
        if (name.startsWith("args.")) {
          return argument(name);
        }
        if (name.startsWith("attr.") && name.length() > 5) {
          return attribute(name.substring(5));
        }
        throw new IllegalArgumentException("unknown key dimension '" + name
            + "': expected user, tenant, session, client, tool, global, args.<path> or attr.<name>");
    }
  }

}
