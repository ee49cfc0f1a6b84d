package dev.mcpratelimit;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Everything a policy may look at about one call: the MCP method, its target (tool name, resource
 * URI or prompt name), the arguments, and the caller's identity attributes ({@code user},
 * {@code tenant}, {@code session}, {@code client} and any other named attribute).
 *
 * <p>Immutable and thread-safe. Cheap to build: the argument map is wrapped, not copied, so the
 * caller must not change it afterwards.
 */
public final class CallContext {

  /** The MCP request methods a policy distinguishes. */
  public enum Method {
    /** {@code tools/call}: the target is the tool name. */
    TOOLS_CALL("tools/call"),
    /** {@code resources/read}: the target is the resource URI. */
    RESOURCES_READ("resources/read"),
    /** {@code prompts/get}: the target is the prompt name. */
    PROMPTS_GET("prompts/get"),
    /**
     * A raw MCP request at the HTTP edge, decided before the SDK parses it: the target is its
     * JSON-RPC method ({@code initialize}, {@code tools/call}, …) or, for a request without one,
     * the HTTP method ({@code GET}, {@code DELETE}). The wire name is {@code http}. The policy's
     * default action does not apply to it: edge requests no rule names pass.
     */
    HTTP_REQUEST("http");

    private final String wireName;

    Method(String wireName) {
      this.wireName = wireName;
    }

    /** @return the JSON-RPC method name, e.g. {@code tools/call} ({@code http} for {@link #HTTP_REQUEST}) */
    public String wireName() {
      return wireName;
    }
  }

  /** Identity attribute holding the authenticated user (or API key) id. */
  public static final String USER = "user";
  /** Identity attribute holding the tenant / organisation id. */
  public static final String TENANT = "tenant";
  /** Identity attribute holding the MCP session id. */
  public static final String SESSION = "session";
  /** Identity attribute holding the client name (from the MCP client info). */
  public static final String CLIENT = "client";

  private final Method method;
  private final String target;
  private final Map<String, @Nullable Object> arguments;
  private final Map<String, String> identity;

  private CallContext(Builder b) {
    this.method = b.method;
    this.target = b.target;
    this.arguments = b.arguments;
    this.identity = b.identity == null ? Map.of() : Collections.unmodifiableMap(b.identity);
  }

  /**
   * Starts a context for a {@code tools/call} of {@code toolName}.
   *
   * @param toolName the tool
   * @return a builder
   */
  public static Builder tool(String toolName) {
    return new Builder(Method.TOOLS_CALL, toolName);
  }

  /**
   * Starts a context for any method.
   *
   * @param method the method
   * @param target the tool name, resource URI or prompt name
   * @return a builder
   */
  public static Builder of(Method method, String target) {
    return new Builder(method, target);
  }

  /** @return the MCP method */
  public Method method() {
    return method;
  }

  /** @return the tool name, resource URI or prompt name */
  public String target() {
    return target;
  }

  /** @return the call's arguments (unmodifiable view; nested maps and lists as given) */
  public Map<String, @Nullable Object> arguments() {
    return arguments;
  }

  /**
   * Returns an identity attribute.
   *
   * @param name e.g. {@link #USER}, {@link #TENANT}, or any name the transport put there
   * @return its value, or {@code null} when absent
   */
  public @Nullable String attribute(String name) {
    return identity.get(name);
  }

  /** @return every identity attribute (unmodifiable) */
  public Map<String, String> attributes() {
    return identity;
  }

  /** @return the user attribute, or {@code null} */
  public @Nullable String user() {
    return identity.get(USER);
  }

  /** @return the tenant attribute, or {@code null} */
  public @Nullable String tenant() {
    return identity.get(TENANT);
  }

  @Override
  public String toString() {
    // identity values are deliberately left out: they are other callers' secrets in logs
    return "CallContext{" + method.wireName() + " " + target + ", identity=" + identity.keySet() + '}';
  }

  /** Builds a {@link CallContext}. Not thread-safe. */
  public static final class Builder {
    private final Method method;
    private final String target;
    private Map<String, @Nullable Object> arguments = Map.of();
    private @Nullable Map<String, String> identity;
    private boolean identityShared; // handed to a built context: copy before the next change

    private Builder(Method method, String target) {
      this.method = Objects.requireNonNull(method, "method");
      this.target = Objects.requireNonNull(target, "target");
    }

    /**
     * Sets the arguments (wrapped, not copied).
     *
     * @param arguments the call's arguments; {@code null} means none
     * @return this builder
     */
    public Builder arguments(@Nullable Map<String, ?> arguments) {
      @SuppressWarnings("unchecked")
      Map<String, @Nullable Object> args = (Map<String, @Nullable Object>) arguments;
      this.arguments = args == null ? Map.of() : Collections.unmodifiableMap(args);
      return this;
    }

    /**
     * Sets an identity attribute; a {@code null} value removes it.
     *
     * @param name the attribute name
     * @param value its value
     * @return this builder
     */
    public Builder attribute(String name, @Nullable String value) {
      Objects.requireNonNull(name, "name");
      if (identity == null) {
        identity = new HashMap<>(8);
      } else if (identityShared) {
        identity = new HashMap<>(identity); // a context built earlier keeps what it was built with
        identityShared = false;
      }
      if (value == null) {
        identity.remove(name);
      } else {
        identity.put(name, value);
      }
      return this;
    }

    /** @param user the user id @return this builder */
    public Builder user(@Nullable String user) {
      return attribute(USER, user);
    }

    /** @param tenant the tenant id @return this builder */
    public Builder tenant(@Nullable String tenant) {
      return attribute(TENANT, tenant);
    }

    /** @param session the session id @return this builder */
    public Builder session(@Nullable String session) {
      return attribute(SESSION, session);
    }

    /** @param client the client name @return this builder */
    public Builder client(@Nullable String client) {
      return attribute(CLIENT, client);
    }

    /**
     * Builds the context. The builder may be reused: later changes do not affect contexts built
     * before them.
     *
     * @return the context
     */
    public CallContext build() {
      identityShared = identity != null;
      return new CallContext(this);
    }
  }
}
