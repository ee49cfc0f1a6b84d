package dev.mcpratelimit.spring;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** Settings of the MCP rate-limiting starter, under {@code mcp.ratelimit}. */
@ConfigurationProperties(prefix = "mcp.ratelimit")
public class McpRateLimitProperties {
  /** Where stores can keep state. */
  public enum Store {
    /** In this process (Caffeine): per instance, lost on restart. */
    MEMORY,
    /** In Redis, through the application's Spring Data Redis Lettuce connection factory: shared by every instance. */
    REDIS,
    /** In an SQLite file ({@code mcp.ratelimit.file}, needs mcp-ratelimit-jdbc and sqlite-jdbc): survives restarts. */
    FILE,
    /** In the database of the application's {@code DataSource} bean (PostgreSQL or SQLite, needs mcp-ratelimit-jdbc). */
    JDBC
  }

  /** Whether to rate-limit the MCP server at all. */
  private boolean enabled = true;

  /** The policy file (YAML, or JSON when it ends in .json), as a Spring resource location. */
  private String policy = "classpath:mcp-ratelimit.yaml";

  /** Whether a policy file on the file system is reloaded when it changes (a file with mistakes is not applied). */
  private boolean reload = true;

  /**
   * Where counters are kept. When unset, the policy file's own store section (store: { file: ... }
   * or store: { jdbc: ... }) is used if it has one, else memory; a LimiterStore bean of the
   * application wins over both.
   */
  private @Nullable Store store;

  /** The SQLite file of the file store (with mcp.ratelimit.store=file), created if absent. */
  private String file = "ratelimit.db";

  private final Identity identity = new Identity();

  private final Redis redis = new Redis();

  /** @return whether enabled */
  public boolean isEnabled() {
    return enabled;
  }

  /** @param enabled whether enabled */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /** @return the policy location */
  public String getPolicy() {
    return policy;
  }

  /** @param policy the policy location */
  public void setPolicy(String policy) {
    this.policy = policy;
  }

  /** @return whether to reload on change */
  public boolean isReload() {
    return reload;
  }

  /** @param reload whether to reload on change */
  public void setReload(boolean reload) {
    this.reload = reload;
  }

  /** @return the store, {@code null} when unset (the policy file's store section, else memory) */
  public @Nullable Store getStore() {
    return store;
  }

  /** @param store the store */
  public void setStore(@Nullable Store store) {
    this.store = store;
  }

  /** @return the SQLite file of the file store */
  public String getFile() {
    return file;
  }

  /** @param file the SQLite file of the file store */
  public void setFile(String file) {
    this.file = file;
  }

  /** @return identity settings */
  public Identity getIdentity() {
    return identity;
  }

  /** @return Redis settings */
  public Redis getRedis() {
    return redis;
  }

  /** How callers are identified (see {@link McpRateLimitIdentityResolver} to replace it all). */
  public static class Identity {
    /** Whether the authenticated principal's name (Spring Security, or the servlet container's) becomes the user. */
    private boolean principalAsUser = true;

    /** Identity attributes read from the authenticated JWT (or opaque token), attribute to claim, e.g. tenant=org_id. */
    private Map<String, String> claims = new LinkedHashMap<>();

    /**
     * Identity attributes read from request headers, header to attribute, e.g. X-Tenant-Id=tenant.
     * Off by default: a header is whatever the client sends, so map one only behind a gateway that
     * sets it and strips the client's.
     */
    private Map<String, String> headers = new LinkedHashMap<>();

    /** @return whether the principal is the user */
    public boolean isPrincipalAsUser() {
      return principalAsUser;
    }

    /** @param principalAsUser whether the principal is the user */
    public void setPrincipalAsUser(boolean principalAsUser) {
      this.principalAsUser = principalAsUser;
    }

    /** @return attribute to claim */
    public Map<String, String> getClaims() {
      return claims;
    }

    /** @param claims attribute to claim */
    public void setClaims(Map<String, String> claims) {
      this.claims = claims;
    }

    /** @return header to attribute */
    public Map<String, String> getHeaders() {
      return headers;
    }

    /** @param headers header to attribute */
    public void setHeaders(Map<String, String> headers) {
      this.headers = headers;
    }
  }

  /** The Redis store (with {@code mcp.ratelimit.store=redis}). */
  public static class Redis {
    /** Prefix of every key the store writes. */
    private String prefix = "mcp-rl:";

    /**
     * Whether the store times decisions by the application's Clock bean instead of the Redis
     * server's clock (every instance must then have the same time; meant for tests).
     */
    private boolean applicationClock = false;

    /** @return the key prefix */
    public String getPrefix() {
      return prefix;
    }

    /** @param prefix the key prefix */
    public void setPrefix(String prefix) {
      this.prefix = prefix;
    }

    /** @return whether the application clock is used */
    public boolean isApplicationClock() {
      return applicationClock;
    }

    /** @param applicationClock whether the application clock is used */
    public void setApplicationClock(boolean applicationClock) {
      this.applicationClock = applicationClock;
    }
  }
}
