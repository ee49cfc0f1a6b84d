package dev.mcpratelimit.mcp;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Clock;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolver;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.mcp.internal.LogListener;
import dev.mcpratelimit.mcp.internal.NameCheck;
import dev.mcpratelimit.policy.PolicyFile;
import dev.mcpratelimit.policy.Problem;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Rate limiting for an MCP Java SDK server: wraps tool, resource and prompt specifications so that
 * every call is first decided by a {@link RateLimiter}. The SDK has no interceptor hook; wrapping
 * the specifications is the hook. Register it in three lines:
 *
 * <pre>{@code
 * McpRateLimiting limits = McpRateLimiting.builder(policy).build();
 * McpServer.sync(transport).tools(limits.wrapSyncTools(tools))
 *     .addToolFilter(McpToolFilters.sync(limits)).build();   // SDK 2.1+; omit on 2.0
 * }</pre>
 *
 * <p>For each call it builds a {@link CallContext} (tool name, arguments; {@code session} and
 * {@code client} from the exchange; {@code user}, {@code tenant} and any other string attribute
 * from the transport context, see {@link IdentityExtractor}; fixed defaults for transports that carry
 * no identity, such as stdio, see {@link Builder#callerAttribute}), acquires, and then:
 *
 * <ul>
 *   <li>denied: answers with a {@code CallToolResult} ({@code isError=true}, a text an LLM can act
 *       on, and the structured denial) or, in {@link DenialMode#ERROR}, an {@link McpError};
 *       resource and prompt denials are always {@code McpError}s;
 *   <li>granted: calls the handler; commits on success, refunds when the handler throws or
 *       returns {@code isError=true} (each configurable); concurrency permits are always freed,
 *       also when an async call is cancelled;
 *   <li>waits instead of denying up to the rules' max wait: sync handlers block (interruptibly),
 *       async handlers are delayed with Reactor and never block a thread;
 *   <li>a handler throwing {@link UpstreamThrottledException} backs off that scope.
 * </ul>
 *
 * <p>Works on MCP SDK 2.0.x and 2.1.x: no type of this class names an API that only 2.1 has; the
 * {@code tools/list} filters (2.1 and later) are in {@link McpToolFilters}.
 *
 * <p>Thread-safe; one per server. Its settings are fixed when built, except the policy and the
 * denial mode, which {@link #update(PolicyFile)} (and so a policy reloader) replaces.
 */
public final class McpRateLimiting {
  // The one type users see, over package-private parts with one job each: Specifications wraps
  // the SDK's specifications, CallContexts builds each call's context, SyncCalls and AsyncCalls
  // are the blocking and the Reactor call paths, Settlement commits or refunds a granted call,
  // DenialResponses renders denials as the SDK's answers, CallerValues holds the identity-value
  // rules shared with IdentityExtractor.

  /** Default JSON-RPC error code of denials: outside the reserved −32768…−32000 range. */
  public static final int DEFAULT_ERROR_CODE = -31029;

  /** Transport-context key under which a map of further identity attributes may be placed. */
  public static final String ATTRIBUTES = "mcp-ratelimit.attributes";

  private final RateLimiter limiter;
  private final DenialResponses denials;
  /** The names wrapped so far, checked against the policy (see {@link #checkNames()}). */
  private final NameCheck names;
  private final CallContexts contexts;
  private final Specifications wrapping;

  private McpRateLimiting(Builder b) {
    this.limiter = b.limiter != null ? b.limiter
        : RateLimiter.builder(Objects.requireNonNull(b.policy)).listener(new LogListener(Clock.system())).build();
    this.denials = new DenialResponses(b.denialMode, b.errorCode);
    this.names = new NameCheck(b.strictNames);
    this.contexts = new CallContexts(b.callerAttributes);
    Settlement settlement = new Settlement(limiter, b.refundOnException, b.refundOnError);
    this.wrapping = new Specifications(limiter, contexts, new SyncCalls(limiter, settlement, denials),
        new AsyncCalls(limiter, b.scheduler, settlement, denials), names);
  }

  /**
   * Starts from a policy; the limiter keeps state in memory and logs denials (DEBUG) and store
   * errors (WARN) through SLF4J.
   *
   * @param policy the policy
   * @return a builder
   */
  public static Builder builder(RateLimitPolicy policy) {
    return new Builder(Objects.requireNonNull(policy, "policy"), null);
  }

  /**
   * Starts from a loaded policy file, applying every setting it holds: its policy and its
   * {@code defaults.denial} (a later {@link Builder#denialMode} call overrides the file's). The
   * limiter keeps state in memory (or in the file's {@code store} section's store, e.g. an SQLite
   * file with mcp-ratelimit-jdbc on the class path) and logs as {@link #builder(RateLimitPolicy)} does; the file's
   * warnings are logged at WARN once, now. To share a store, build the limiter yourself and call
   * {@code builder(limiter).denialMode(file.denialMode())}.
   *
   * <pre>{@code
   * McpRateLimiting limits = McpRateLimiting.builder(PolicyLoader.load(Path.of("policy.yaml"))).build();
   * }</pre>
   *
   * @param file the policy file
   * @return a builder
   */
  public static Builder builder(PolicyFile file) {
    Objects.requireNonNull(file, "file");
    for (Problem w : file.warnings()) {
      WARNINGS.warn("policy warning: {}", w);
    }
    if (file.store() != null) { // the file's store section: state where it says (opened once, kept open)
      RateLimiter limiter = RateLimiter.builder(file.policy()).store(file.store().open())
          .listener(new LogListener(Clock.system())).build();
      return new Builder(null, limiter).denialMode(file.denialMode());
    }
    return new Builder(file.policy(), null).denialMode(file.denialMode());
  }

  private static final org.slf4j.Logger WARNINGS = org.slf4j.LoggerFactory.getLogger("dev.mcpratelimit.policy");

  /**
   * Applies a (re)loaded policy file: the limiter's policy and the denial mode. This is what
   * {@link dev.mcpratelimit.policy.PolicyReloader#PolicyReloader(McpRateLimiting, java.nio.file.Path,
   * java.util.function.Consumer)} calls; calls in flight finish under the settings they started with.
   *
   * @param file the policy file
   */
  public void update(PolicyFile file) {
    Objects.requireNonNull(file, "file");
    limiter.updatePolicy(file.policy());
    denials.mode(file.denialMode());
  }

  /** @return how tool denials are reported now */
  public DenialMode denialMode() {
    return denials.mode();
  }

  /**
   * Starts from a configured limiter (own store, clock, listeners; add {@link #logging(Clock)}
   * to log).
   *
   * @param limiter the limiter
   * @return a builder
   */
  public static Builder builder(RateLimiter limiter) {
    return new Builder(null, Objects.requireNonNull(limiter, "limiter"));
  }

  /**
   * A listener that logs denials at DEBUG and store errors at WARN through SLF4J, at most 60
   * lines a minute (suppressed lines are counted). Never logs identity values.
   *
   * @param clock the limiter's clock
   * @return the listener
   */
  public static dev.mcpratelimit.RateLimitListener logging(Clock clock) {
    return new LogListener(clock);
  }

  /** @return the limiter deciding the calls */
  public RateLimiter limiter() {
    return limiter;
  }

  // ------------------------------------------------------------------ tools, stateful sync

  /**
   * @param spec a tool
   * @return the same tool, rate-limited
   */
  public McpServerFeatures.SyncToolSpecification wrap(McpServerFeatures.SyncToolSpecification spec) {
    return wrapping.wrap(spec);
  }

  /**
   * Wraps every tool. Hidden tools stay registered, so a direct call to one is answered with a
   * "hidden by policy" denial; on MCP SDK 2.1 and later register {@link McpToolFilters#sync} to
   * remove them from {@code tools/list}.
   *
   * <p>Then checks the policy against every tool wrapped so far: a rule (or {@code hide} entry)
   * naming a tool the server does not register is logged at WARN with the closest registered
   * name ("did you mean 'create_issue'?"), or fails with an {@link IllegalStateException} when
   * the builder set {@link Builder#strictNames(boolean) strictNames}. Wrap all tools in one list
   * (or call {@link #checkNames()} once all are wrapped).
   *
   * @param specs tools
   * @return the tools, rate-limited
   * @throws IllegalStateException with strict names, when the policy names an unregistered tool
   */
  public List<McpServerFeatures.SyncToolSpecification> wrapSyncTools(List<McpServerFeatures.SyncToolSpecification> specs) {
    return wrapping.tools(specs, wrapping::wrap);
  }

  // ------------------------------------------------------------------ tools, stateful async

  /**
   * @param spec a tool
   * @return the same tool, rate-limited without blocking
   */
  public McpServerFeatures.AsyncToolSpecification wrap(McpServerFeatures.AsyncToolSpecification spec) {
    return wrapping.wrap(spec);
  }

  /**
   * @param specs tools
   * @return the tools, rate-limited (see {@link #wrapSyncTools})
   */
  public List<McpServerFeatures.AsyncToolSpecification> wrapAsyncTools(List<McpServerFeatures.AsyncToolSpecification> specs) {
    return wrapping.tools(specs, wrapping::wrap);
  }

  // ------------------------------------------------------------------ tools, stateless

  /**
   * @param spec a stateless tool; identity comes from the transport context only
   * @return the same tool, rate-limited
   */
  public McpStatelessServerFeatures.SyncToolSpecification wrap(McpStatelessServerFeatures.SyncToolSpecification spec) {
    return wrapping.wrap(spec);
  }

  /**
   * @param spec a stateless async tool
   * @return the same tool, rate-limited without blocking
   */
  public McpStatelessServerFeatures.AsyncToolSpecification wrap(McpStatelessServerFeatures.AsyncToolSpecification spec) {
    return wrapping.wrap(spec);
  }

  /**
   * @param specs stateless tools
   * @return the tools, rate-limited (see {@link #wrapSyncTools})
   */
  public List<McpStatelessServerFeatures.SyncToolSpecification> wrapStatelessSyncTools(
      List<McpStatelessServerFeatures.SyncToolSpecification> specs) {
    return wrapping.tools(specs, wrapping::wrap);
  }

  /**
   * @param specs stateless async tools
   * @return the tools, rate-limited (see {@link #wrapSyncTools})
   */
  public List<McpStatelessServerFeatures.AsyncToolSpecification> wrapStatelessAsyncTools(
      List<McpStatelessServerFeatures.AsyncToolSpecification> specs) {
    return wrapping.tools(specs, wrapping::wrap);
  }

  // ------------------------------------------------------------------ resources and prompts, stateless

  /**
   * @param spec a stateless resource; identity comes from the transport context only; denials
   *     are {@link McpError}s
   * @return the same resource, rate-limited
   */
  public McpStatelessServerFeatures.SyncResourceSpecification wrap(McpStatelessServerFeatures.SyncResourceSpecification spec) {
    return wrapping.wrap(spec);
  }

  /**
   * @param spec a stateless async resource
   * @return the same resource, rate-limited without blocking
   */
  public McpStatelessServerFeatures.AsyncResourceSpecification wrap(McpStatelessServerFeatures.AsyncResourceSpecification spec) {
    return wrapping.wrap(spec);
  }

  /**
   * @param spec a stateless resource template; the target is the concrete URI read
   * @return the same template, rate-limited
   */
  public McpStatelessServerFeatures.SyncResourceTemplateSpecification wrap(
      McpStatelessServerFeatures.SyncResourceTemplateSpecification spec) {
    return wrapping.wrap(spec);
  }

  /**
   * @param spec a stateless async resource template
   * @return the same template, rate-limited without blocking
   */
  public McpStatelessServerFeatures.AsyncResourceTemplateSpecification wrap(
      McpStatelessServerFeatures.AsyncResourceTemplateSpecification spec) {
    return wrapping.wrap(spec);
  }

  /**
   * @param spec a stateless prompt; denials are {@link McpError}s
   * @return the same prompt, rate-limited
   */
  public McpStatelessServerFeatures.SyncPromptSpecification wrap(McpStatelessServerFeatures.SyncPromptSpecification spec) {
    return wrapping.wrap(spec);
  }

  /**
   * @param spec a stateless async prompt
   * @return the same prompt, rate-limited without blocking
   */
  public McpStatelessServerFeatures.AsyncPromptSpecification wrap(McpStatelessServerFeatures.AsyncPromptSpecification spec) {
    return wrapping.wrap(spec);
  }

  /**
   * Whether the current policy hides a tool: hidden tools stay registered and a direct call is
   * denied; {@link McpToolFilters} (MCP SDK 2.1 and later) also removes them from {@code tools/list}.
   *
   * @param toolName the tool's name
   * @return true if the policy hides it
   */
  public boolean isHidden(String toolName) {
    return limiter.policy().isHidden(toolName);
  }

  /**
   * Whether the current policy lets the caller of a request see and call a tool. The list filters
   * answer with it, and a call is denied as hidden by the same predicate
   * ({@link RateLimitPolicy#isHiddenFor}) over the same identity (the caller attributes and the
   * transport context; hide rules cannot read the session or client name, which only calls
   * carry), so a listed tool is never denied as hidden and a hidden one is never callable.
   *
   * @param transport the request's transport context (identity attributes), or {@code null}
   * @param toolName the tool
   * @return whether it is visible to that caller
   */
  public boolean isVisible(@Nullable McpTransportContext transport, String toolName) {
    RateLimitPolicy p = limiter.policy();
    if (p.isHidden(toolName)) {
      return false;
    }
    return !p.isHiddenFor(contexts.of(CallContext.Method.TOOLS_CALL, toolName, null, transport));
  }

  // ------------------------------------------------------------------ resources and prompts

  /**
   * @param spec a resource; denials are {@link McpError}s
   * @return the same resource, rate-limited
   */
  public McpServerFeatures.SyncResourceSpecification wrap(McpServerFeatures.SyncResourceSpecification spec) {
    return wrapping.wrap(spec);
  }

  /**
   * @param spec a resource
   * @return the same resource, rate-limited without blocking
   */
  public McpServerFeatures.AsyncResourceSpecification wrap(McpServerFeatures.AsyncResourceSpecification spec) {
    return wrapping.wrap(spec);
  }

  /**
   * @param spec a resource template; the target is the concrete URI read
   * @return the same template, rate-limited
   */
  public McpServerFeatures.SyncResourceTemplateSpecification wrap(McpServerFeatures.SyncResourceTemplateSpecification spec) {
    return wrapping.wrap(spec);
  }

  /**
   * @param spec a resource template
   * @return the same template, rate-limited without blocking
   */
  public McpServerFeatures.AsyncResourceTemplateSpecification wrap(McpServerFeatures.AsyncResourceTemplateSpecification spec) {
    return wrapping.wrap(spec);
  }

  /**
   * @param spec a prompt; denials are {@link McpError}s
   * @return the same prompt, rate-limited
   */
  public McpServerFeatures.SyncPromptSpecification wrap(McpServerFeatures.SyncPromptSpecification spec) {
    return wrapping.wrap(spec);
  }

  /**
   * @param spec a prompt
   * @return the same prompt, rate-limited without blocking
   */
  public McpServerFeatures.AsyncPromptSpecification wrap(McpServerFeatures.AsyncPromptSpecification spec) {
    return wrapping.wrap(spec);
  }

  /**
   * Checks the policy against every tool, resource (or resource template) and prompt wrapped so
   * far: each rule or {@code hide} entry naming one the server does not register is logged once
   * at WARN with the closest registered name, or, with {@link Builder#strictNames(boolean)}, fails.
   * Call it once every specification is wrapped (the tool-list wraps check tools by themselves).
   *
   * @return the problems found, one message each; empty when the policy names only what is registered
   * @throws IllegalStateException with strict names, when there is a problem
   */
  public List<String> checkNames() {
    return names.check(limiter.policy(), CallContext.Method.values());
  }

  // ------------------------------------------------------------------ upstream feedback

  /**
   * Backs off a scope after an upstream throttled it (e.g. HTTP 429 with Retry-After): calls in
   * it are denied (or wait, within their rules' max wait) until then.
   *
   * @param scope the dimension, e.g. {@code KeyResolvers.tenant()}
   * @param value its value, e.g. the tenant id
   * @param retryAfter how long, positive
   */
  public void upstreamThrottled(KeyResolver scope, String value, Duration retryAfter) {
    limiter.backoff(scope, value, Clock.toInstant(limiter.clock().nanos()).plus(retryAfter));
  }

  // ------------------------------------------------------------------ denials

  /**
   * Renders a denial as a tool result: {@code isError=true}, one text content an LLM can act on,
   * and the structured denial as {@code structuredContent}.
   *
   * @param denied the denial
   * @return the result
   */
  public McpSchema.CallToolResult result(Decision.Denied denied) {
    return denials.result(denied);
  }

  /**
   * Renders a denial as a JSON-RPC error with the structured denial as {@code data}; in
   * {@link DenialMode#RATE_LIMITED_ERROR} a rate limit with a retry time takes the provisional
   * SEP-3304 shape instead (code −32023, {@code data.retryAfterMs} first).
   *
   * @param denied the denial
   * @return the error
   */
  public McpError error(Decision.Denied denied) {
    return denials.error(denied);
  }

  /** @return {@code code}, when it lies outside the JSON-RPC reserved range (also for the edge filter) */
  static int checkedErrorCode(int code) {
    if (code >= -32768 && code <= -32000) {
      throw new IllegalArgumentException("errorCode must lie outside the reserved JSON-RPC range -32768..-32000, but was " + code);
    }
    return code;
  }

  /** Builds a {@link McpRateLimiting}. Not thread-safe. */
  public static final class Builder {
    private final @Nullable RateLimitPolicy policy;
    private final @Nullable RateLimiter limiter;
    private DenialMode denialMode = DenialMode.RESULT;
    private int errorCode = DEFAULT_ERROR_CODE;
    private boolean refundOnException = true;
    private boolean refundOnError = true;
    private Scheduler scheduler = Schedulers.parallel();
    private final Map<String, String> callerAttributes = new LinkedHashMap<>();
    private boolean strictNames;

    private Builder(@Nullable RateLimitPolicy policy, @Nullable RateLimiter limiter) {
      this.policy = policy;
      this.limiter = limiter;
    }

    /** @param mode how tool denials are reported; default {@link DenialMode#RESULT} @return this builder */
    public Builder denialMode(DenialMode mode) {
      this.denialMode = Objects.requireNonNull(mode, "denialMode");
      return this;
    }

    /**
     * @param code JSON-RPC error code of denials; default {@value #DEFAULT_ERROR_CODE}; must lie
     *     outside the range −32768…−32000 that JSON-RPC reserves
     * @return this builder
     */
    public Builder errorCode(int code) {
      this.errorCode = checkedErrorCode(code);
      return this;
    }

    /** @param refund whether a handler that throws gets its costs back; default true @return this builder */
    public Builder refundOnException(boolean refund) {
      this.refundOnException = refund;
      return this;
    }

    /** @param refund whether a result with {@code isError=true} gets its costs back; default true @return this builder */
    public Builder refundOnError(boolean refund) {
      this.refundOnError = refund;
      return this;
    }

    /**
     * @param strict whether a policy naming a tool, resource or prompt the server does not
     *     register fails the wrapping ({@link IllegalStateException}) instead of logging a WARN;
     *     default false
     * @return this builder
     */
    public Builder strictNames(boolean strict) {
      this.strictNames = strict;
      return this;
    }

    /** @param scheduler where async waits are timed; default {@code Schedulers.parallel()} @return this builder */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Sets an identity attribute that every call carries unless the transport supplies that
     * attribute itself. Meant for transports without per-request identity, above all stdio: a stdio
     * server process serves exactly one client, and who that client is was decided when the
     * process was launched (an argument or environment variable set by whoever started it), so
     * the server states it once here:
     *
     * <pre>{@code
     * McpRateLimiting.builder(policy)
     *     .callerAttribute(CallContext.USER, System.getenv("MCP_USER"))
     *     .callerAttribute(CallContext.TENANT, System.getenv("MCP_TENANT"))
     *     .build();
     * }</pre>
     *
     * <p>(An unset variable fails fast there, with a {@code NullPointerException}, rather than
     * letting every caller share the anonymous bucket.)
     *
     * <p>Precedence: an attribute found in the transport context (e.g. copied from an HTTP header
     * by {@link IdentityExtractor}) and the session id and client name taken from the MCP exchange
     * replace the default of the same name, call by call. Setting a name twice keeps the last
     * value.
     *
     * <p>Limits kept in memory are per server process: two stdio processes launched for the same
     * user count separately. To share limits across processes, give the limiter a shared store
     * (e.g. Redis).
     *
     * @param name the attribute's name, e.g. {@link CallContext#USER} or {@link CallContext#TENANT};
     *     not blank
     * @param value its value: not empty, at most {@value IdentityExtractor#MAX_VALUE_LENGTH}
     *     characters, no control characters (the rules {@link IdentityExtractor} applies to
     *     request values)
     * @return this builder
     * @throws IllegalArgumentException if the name is blank or the value breaks a rule above
     * @throws NullPointerException if either is null
     */
    public Builder callerAttribute(String name, String value) {
      Objects.requireNonNull(name, "callerAttribute name");
      Objects.requireNonNull(value, "callerAttribute value");
      if (name.isBlank()) {
        throw new IllegalArgumentException("callerAttribute name must not be blank, but was \"" + CallerValues.printable(name) + "\"");
      }
      String problem = CallerValues.problem(value);
      if (problem != null) {
        throw new IllegalArgumentException("callerAttribute " + CallerValues.printable(name) + " " + problem);
      }
      callerAttributes.put(name, value);
      return this;
    }

    /** @return the middleware */
    public McpRateLimiting build() {
      return new McpRateLimiting(this);
    }
  }
}
