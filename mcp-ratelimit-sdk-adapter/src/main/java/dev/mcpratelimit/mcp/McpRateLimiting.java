package dev.mcpratelimit.mcp;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.Clock;
import dev.mcpratelimit.Decision;
import dev.mcpratelimit.KeyResolver;
import dev.mcpratelimit.RateLimitPolicy;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.internal.seam.AsyncEngine;
import dev.mcpratelimit.mcp.internal.Denials;
import dev.mcpratelimit.mcp.internal.LogListener;
import dev.mcpratelimit.mcp.internal.NameCheck;
import dev.mcpratelimit.policy.PolicyFile;
import dev.mcpratelimit.policy.Problem;
import dev.mcpratelimit.mcp.internal.RateLimitedError;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
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
  /** Default JSON-RPC error code of denials: outside the reserved −32768…−32000 range. */
  public static final int DEFAULT_ERROR_CODE = -31029;

  private final RateLimiter limiter;
  /** Follows the policy file when one is reloaded through {@link #update(PolicyFile)}. */
  private volatile DenialMode denialMode;
  private final int errorCode;
  private final boolean refundOnException;
  private final boolean refundOnError;
  private final Scheduler scheduler;
  /** Default identity attributes as name, value, name, value…; empty unless configured. */
  private final String[] callerDefaults;
  /** The names wrapped so far, checked against the policy (see {@link #checkNames()}). */
  private final NameCheck names;

  private McpRateLimiting(Builder b) {
    this.limiter = b.limiter != null ? b.limiter
        : RateLimiter.builder(Objects.requireNonNull(b.policy)).listener(new LogListener(Clock.system())).build();
    this.denialMode = b.denialMode;
    this.errorCode = b.errorCode;
    this.refundOnException = b.refundOnException;
    this.refundOnError = b.refundOnError;
    this.scheduler = b.scheduler;
    this.names = new NameCheck(b.strictNames);
    this.callerDefaults = new String[b.callerAttributes.size() * 2];
    int i = 0;
    for (Map.Entry<String, String> e : b.callerAttributes.entrySet()) {
      callerDefaults[i++] = e.getKey();
      callerDefaults[i++] = e.getValue();
    }
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
    denialMode = file.denialMode();
  }

  /** @return how tool denials are reported now */
  public DenialMode denialMode() {
    return denialMode;
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
    var handler = spec.callHandler();
    names.saw(CallContext.Method.TOOLS_CALL, spec.tool().name());
    return new McpServerFeatures.SyncToolSpecification(spec.tool(), (exchange, request) -> {
      CallContext call = context(CallContext.Method.TOOLS_CALL, spec.tool().name(), request.arguments(),
          exchange.sessionId(), exchange.getClientInfo(), exchange.transportContext());
      return callSync(call, () -> handler.apply(exchange, request));
    });
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
    List<McpServerFeatures.SyncToolSpecification> out = new ArrayList<>(specs.size());
    for (var s : specs) {
      out.add(wrap(s));
    }
    names.check(limiter.policy(), CallContext.Method.TOOLS_CALL);
    return out;
  }

  // ------------------------------------------------------------------ tools, stateful async

  /**
   * @param spec a tool
   * @return the same tool, rate-limited without blocking
   */
  public McpServerFeatures.AsyncToolSpecification wrap(McpServerFeatures.AsyncToolSpecification spec) {
    var handler = spec.callHandler();
    names.saw(CallContext.Method.TOOLS_CALL, spec.tool().name());
    return new McpServerFeatures.AsyncToolSpecification(spec.tool(), (exchange, request) -> Mono.defer(() -> {
      CallContext call = context(CallContext.Method.TOOLS_CALL, spec.tool().name(), request.arguments(),
          exchange.sessionId(), exchange.getClientInfo(), exchange.transportContext());
      return callAsync(call, () -> handler.apply(exchange, request));
    }));
  }

  /**
   * @param specs tools
   * @return the tools, rate-limited (see {@link #wrapSyncTools})
   */
  public List<McpServerFeatures.AsyncToolSpecification> wrapAsyncTools(List<McpServerFeatures.AsyncToolSpecification> specs) {
    List<McpServerFeatures.AsyncToolSpecification> out = new ArrayList<>(specs.size());
    for (var s : specs) {
      out.add(wrap(s));
    }
    names.check(limiter.policy(), CallContext.Method.TOOLS_CALL);
    return out;
  }

  // ------------------------------------------------------------------ tools, stateless

  /**
   * @param spec a stateless tool; identity comes from the transport context only
   * @return the same tool, rate-limited
   */
  public McpStatelessServerFeatures.SyncToolSpecification wrap(McpStatelessServerFeatures.SyncToolSpecification spec) {
    var handler = spec.callHandler();
    names.saw(CallContext.Method.TOOLS_CALL, spec.tool().name());
    return new McpStatelessServerFeatures.SyncToolSpecification(spec.tool(), (ctx, request) -> {
      CallContext call = context(CallContext.Method.TOOLS_CALL, spec.tool().name(), request.arguments(), null, null, ctx);
      return callSync(call, () -> handler.apply(ctx, request));
    });
  }

  /**
   * @param spec a stateless async tool
   * @return the same tool, rate-limited without blocking
   */
  public McpStatelessServerFeatures.AsyncToolSpecification wrap(McpStatelessServerFeatures.AsyncToolSpecification spec) {
    var handler = spec.callHandler();
    names.saw(CallContext.Method.TOOLS_CALL, spec.tool().name());
    return new McpStatelessServerFeatures.AsyncToolSpecification(spec.tool(), (ctx, request) -> Mono.defer(() -> {
      CallContext call = context(CallContext.Method.TOOLS_CALL, spec.tool().name(), request.arguments(), null, null, ctx);
      return callAsync(call, () -> handler.apply(ctx, request));
    }));
  }

  /**
   * @param specs stateless tools
   * @return the tools, rate-limited (see {@link #wrapSyncTools})
   */
  public List<McpStatelessServerFeatures.SyncToolSpecification> wrapStatelessSyncTools(
      List<McpStatelessServerFeatures.SyncToolSpecification> specs) {
    List<McpStatelessServerFeatures.SyncToolSpecification> out = new ArrayList<>(specs.size());
    for (var s : specs) {
      out.add(wrap(s));
    }
    names.check(limiter.policy(), CallContext.Method.TOOLS_CALL);
    return out;
  }

  /**
   * @param specs stateless async tools
   * @return the tools, rate-limited (see {@link #wrapSyncTools})
   */
  public List<McpStatelessServerFeatures.AsyncToolSpecification> wrapStatelessAsyncTools(
      List<McpStatelessServerFeatures.AsyncToolSpecification> specs) {
    List<McpStatelessServerFeatures.AsyncToolSpecification> out = new ArrayList<>(specs.size());
    for (var s : specs) {
      out.add(wrap(s));
    }
    names.check(limiter.policy(), CallContext.Method.TOOLS_CALL);
    return out;
  }

  // ------------------------------------------------------------------ resources and prompts, stateless

  /**
   * @param spec a stateless resource; identity comes from the transport context only; denials
   *     are {@link McpError}s
   * @return the same resource, rate-limited
   */
  public McpStatelessServerFeatures.SyncResourceSpecification wrap(McpStatelessServerFeatures.SyncResourceSpecification spec) {
    var handler = spec.readHandler();
    names.saw(CallContext.Method.RESOURCES_READ, spec.resource().uri());
    return new McpStatelessServerFeatures.SyncResourceSpecification(spec.resource(), (ctx, req) -> callSyncOther(
        context(CallContext.Method.RESOURCES_READ, req.uri(), Map.of(), null, null, ctx),
        () -> handler.apply(ctx, req)));
  }

  /**
   * @param spec a stateless async resource
   * @return the same resource, rate-limited without blocking
   */
  public McpStatelessServerFeatures.AsyncResourceSpecification wrap(McpStatelessServerFeatures.AsyncResourceSpecification spec) {
    var handler = spec.readHandler();
    names.saw(CallContext.Method.RESOURCES_READ, spec.resource().uri());
    return new McpStatelessServerFeatures.AsyncResourceSpecification(spec.resource(), (ctx, req) -> Mono.defer(() -> callAsyncOther(
        context(CallContext.Method.RESOURCES_READ, req.uri(), Map.of(), null, null, ctx),
        () -> handler.apply(ctx, req))));
  }

  /**
   * @param spec a stateless resource template; the target is the concrete URI read
   * @return the same template, rate-limited
   */
  public McpStatelessServerFeatures.SyncResourceTemplateSpecification wrap(
      McpStatelessServerFeatures.SyncResourceTemplateSpecification spec) {
    var handler = spec.readHandler();
    names.saw(CallContext.Method.RESOURCES_READ, spec.resourceTemplate().uriTemplate());
    return new McpStatelessServerFeatures.SyncResourceTemplateSpecification(spec.resourceTemplate(), (ctx, req) -> callSyncOther(
        context(CallContext.Method.RESOURCES_READ, req.uri(), Map.of(), null, null, ctx),
        () -> handler.apply(ctx, req)));
  }

  /**
   * @param spec a stateless async resource template
   * @return the same template, rate-limited without blocking
   */
  public McpStatelessServerFeatures.AsyncResourceTemplateSpecification wrap(
      McpStatelessServerFeatures.AsyncResourceTemplateSpecification spec) {
    var handler = spec.readHandler();
    names.saw(CallContext.Method.RESOURCES_READ, spec.resourceTemplate().uriTemplate());
    return new McpStatelessServerFeatures.AsyncResourceTemplateSpecification(spec.resourceTemplate(),
        (ctx, req) -> Mono.defer(() -> callAsyncOther(
            context(CallContext.Method.RESOURCES_READ, req.uri(), Map.of(), null, null, ctx),
            () -> handler.apply(ctx, req))));
  }

  /**
   * @param spec a stateless prompt; denials are {@link McpError}s
   * @return the same prompt, rate-limited
   */
  public McpStatelessServerFeatures.SyncPromptSpecification wrap(McpStatelessServerFeatures.SyncPromptSpecification spec) {
    var handler = spec.promptHandler();
    names.saw(CallContext.Method.PROMPTS_GET, spec.prompt().name());
    return new McpStatelessServerFeatures.SyncPromptSpecification(spec.prompt(), (ctx, req) -> callSyncOther(
        context(CallContext.Method.PROMPTS_GET, req.name(), req.arguments(), null, null, ctx),
        () -> handler.apply(ctx, req)));
  }

  /**
   * @param spec a stateless async prompt
   * @return the same prompt, rate-limited without blocking
   */
  public McpStatelessServerFeatures.AsyncPromptSpecification wrap(McpStatelessServerFeatures.AsyncPromptSpecification spec) {
    var handler = spec.promptHandler();
    names.saw(CallContext.Method.PROMPTS_GET, spec.prompt().name());
    return new McpStatelessServerFeatures.AsyncPromptSpecification(spec.prompt(), (ctx, req) -> Mono.defer(() -> callAsyncOther(
        context(CallContext.Method.PROMPTS_GET, req.name(), req.arguments(), null, null, ctx),
        () -> handler.apply(ctx, req))));
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
    return !p.isHiddenFor(context(CallContext.Method.TOOLS_CALL, toolName, null, null, null, transport));
  }

  // ------------------------------------------------------------------ resources and prompts

  /**
   * @param spec a resource; denials are {@link McpError}s
   * @return the same resource, rate-limited
   */
  public McpServerFeatures.SyncResourceSpecification wrap(McpServerFeatures.SyncResourceSpecification spec) {
    var handler = spec.readHandler();
    names.saw(CallContext.Method.RESOURCES_READ, spec.resource().uri());
    return new McpServerFeatures.SyncResourceSpecification(spec.resource(), (ex, req) -> callSyncOther(
        context(CallContext.Method.RESOURCES_READ, req.uri(), Map.of(), ex.sessionId(), ex.getClientInfo(), ex.transportContext()),
        () -> handler.apply(ex, req)));
  }

  /**
   * @param spec a resource
   * @return the same resource, rate-limited without blocking
   */
  public McpServerFeatures.AsyncResourceSpecification wrap(McpServerFeatures.AsyncResourceSpecification spec) {
    var handler = spec.readHandler();
    names.saw(CallContext.Method.RESOURCES_READ, spec.resource().uri());
    return new McpServerFeatures.AsyncResourceSpecification(spec.resource(), (ex, req) -> Mono.defer(() -> callAsyncOther(
        context(CallContext.Method.RESOURCES_READ, req.uri(), Map.of(), ex.sessionId(), ex.getClientInfo(), ex.transportContext()),
        () -> handler.apply(ex, req))));
  }

  /**
   * @param spec a resource template; the target is the concrete URI read
   * @return the same template, rate-limited
   */
  public McpServerFeatures.SyncResourceTemplateSpecification wrap(McpServerFeatures.SyncResourceTemplateSpecification spec) {
    var handler = spec.readHandler();
    names.saw(CallContext.Method.RESOURCES_READ, spec.resourceTemplate().uriTemplate());
    return new McpServerFeatures.SyncResourceTemplateSpecification(spec.resourceTemplate(), (ex, req) -> callSyncOther(
        context(CallContext.Method.RESOURCES_READ, req.uri(), Map.of(), ex.sessionId(), ex.getClientInfo(), ex.transportContext()),
        () -> handler.apply(ex, req)));
  }

  /**
   * @param spec a resource template
   * @return the same template, rate-limited without blocking
   */
  public McpServerFeatures.AsyncResourceTemplateSpecification wrap(McpServerFeatures.AsyncResourceTemplateSpecification spec) {
    var handler = spec.readHandler();
    names.saw(CallContext.Method.RESOURCES_READ, spec.resourceTemplate().uriTemplate());
    return new McpServerFeatures.AsyncResourceTemplateSpecification(spec.resourceTemplate(), (ex, req) -> Mono.defer(() -> callAsyncOther(
        context(CallContext.Method.RESOURCES_READ, req.uri(), Map.of(), ex.sessionId(), ex.getClientInfo(), ex.transportContext()),
        () -> handler.apply(ex, req))));
  }

  /**
   * @param spec a prompt; denials are {@link McpError}s
   * @return the same prompt, rate-limited
   */
  public McpServerFeatures.SyncPromptSpecification wrap(McpServerFeatures.SyncPromptSpecification spec) {
    var handler = spec.promptHandler();
    names.saw(CallContext.Method.PROMPTS_GET, spec.prompt().name());
    return new McpServerFeatures.SyncPromptSpecification(spec.prompt(), (ex, req) -> callSyncOther(
        context(CallContext.Method.PROMPTS_GET, req.name(), req.arguments(), ex.sessionId(), ex.getClientInfo(), ex.transportContext()),
        () -> handler.apply(ex, req)));
  }

  /**
   * @param spec a prompt
   * @return the same prompt, rate-limited without blocking
   */
  public McpServerFeatures.AsyncPromptSpecification wrap(McpServerFeatures.AsyncPromptSpecification spec) {
    var handler = spec.promptHandler();
    names.saw(CallContext.Method.PROMPTS_GET, spec.prompt().name());
    return new McpServerFeatures.AsyncPromptSpecification(spec.prompt(), (ex, req) -> Mono.defer(() -> callAsyncOther(
        context(CallContext.Method.PROMPTS_GET, req.name(), req.arguments(), ex.sessionId(), ex.getClientInfo(), ex.transportContext()),
        () -> handler.apply(ex, req))));
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

  // ------------------------------------------------------------------ the call paths

  private CallContext context(CallContext.Method method, String target, @Nullable Map<String, Object> args,
      @Nullable String sessionId, McpSchema.@Nullable Implementation client, @Nullable McpTransportContext transport) {
    CallContext.Builder b = CallContext.of(method, target).arguments(args);
    for (int i = 0; i < callerDefaults.length; i += 2) {
      b.attribute(callerDefaults[i], callerDefaults[i + 1]); // defaults first: whatever the transport carries wins
    }
    if (transport != null) {
      copyAttributes(transport, b);
    }
    if (sessionId != null) {
      b.session(sessionId);
    }
    if (client != null && client.name() != null) {
      b.client(client.name());
    }
    return b.build();
  }

  private static final String[] KNOWN = {CallContext.USER, CallContext.TENANT, CallContext.SESSION, CallContext.CLIENT};

  private static void copyAttributes(McpTransportContext transport, CallContext.Builder b) {
    for (String k : KNOWN) {
      Object v = transport.get(k);
      if (v instanceof String s) {
        b.attribute(k, s);
      }
    }
    Object extra = transport.get(ATTRIBUTES);
    if (extra instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (e.getKey() instanceof String k && e.getValue() instanceof String v) {
          b.attribute(k, v);
        }
      }
    }
  }

  /** Transport-context key under which a map of further identity attributes may be placed. */
  public static final String ATTRIBUTES = "mcp-ratelimit.attributes";

  private McpSchema.CallToolResult callSync(CallContext call, Supplier<McpSchema.CallToolResult> handler) {
    return decideSync(call, handler, this::deniedTool, r -> Boolean.TRUE.equals(r.isError()) && refundOnError);
  }

  private <T> T callSyncOther(CallContext call, Supplier<T> handler) {
    return decideSync(call, handler, denied -> {
      throw error(denied);
    }, r -> false);
  }

  /**
   * The blocking path shared by every sync specification: decide (waiting up to the rules' max
   * wait), answer a denial with {@code onDenied}, else run the handler and settle: refund when it
   * throws (if configured) or when {@code failed} says its result is a failure, commit otherwise.
   */
  private <T> T decideSync(CallContext call, Supplier<T> handler, Function<Decision.Denied, T> onDenied,
      Predicate<T> failed) {
    Decision d;
    try {
      d = limiter.acquireBlocking(call);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw McpError.builder(errorCode).message("interrupted while waiting for rate-limit capacity").build();
    }
    if (d instanceof Decision.Denied denied) {
      return onDenied.apply(denied);
    }
    Decision.Granted g = (Decision.Granted) d;
    T result;
    try {
      result = handler.get();
    } catch (UpstreamThrottledException u) {
      g.release();
      return onDenied.apply(backoff(call, u));
    } catch (RuntimeException | Error e) {
      settleFailed(g, refundOnException);
      throw e;
    }
    settleFailed(g, result != null && failed.test(result));
    return result;
  }

  private Mono<McpSchema.CallToolResult> callAsync(CallContext call, Supplier<Mono<McpSchema.CallToolResult>> handler) {
    return decideAsync(call, handler,
        denied -> asError(denied) ? Mono.error(error(denied)) : Mono.just(result(denied)),
        r -> Boolean.TRUE.equals(r.isError()) && refundOnError);
  }

  private <T> Mono<T> callAsyncOther(CallContext call, Supplier<Mono<T>> handler) {
    return decideAsync(call, handler, denied -> Mono.error(error(denied)), r -> false);
  }

  /**
   * The non-blocking path shared by every async specification: waits are scheduled (never a
   * parked thread), a cancelled call is refunded, a call that completes empty keeps its cost.
   */
  private <T> Mono<T> decideAsync(CallContext call, Supplier<Mono<T>> handler,
      Function<Decision.Denied, Mono<T>> onDenied, Predicate<T> failed) {
    long startedAt = limiter.clock().nanos();
    return reserveAsync(call, startedAt).flatMap(d -> {
      if (d instanceof Decision.Denied denied) {
        return onDenied.apply(denied);
      }
      Decision.Granted g = (Decision.Granted) d;
      Mono<T> run = Mono.defer(handler);
      if (g.delayNanos() > 0) {
        run = Mono.delay(Duration.ofNanos(g.delayNanos()), scheduler).then(run);
      }
      return run
          .doOnNext(r -> settleFailed(g, failed.test(r)))
          .onErrorResume(UpstreamThrottledException.class, u -> {
            g.release();
            return onDenied.apply(backoff(call, u));
          })
          .doOnError(e -> settleFailed(g, refundOnException))
          .doOnCancel(g::release) // a cancelled call did not happen: refund and free permits
          .doFinally(s -> {
            if (!g.isSettled()) {
              g.commit(); // completed empty: keep the cost, free permits
            }
          });
    });
  }

  /** Acquires without blocking: waits by scheduling, never by parking a thread. */
  private Mono<Decision> reserveAsync(CallContext call, long startedAt) {
    return Mono.defer(() -> {
      Decision d = AsyncEngine.of(limiter).reserve(call, startedAt);
      if (d instanceof Decision.Denied denied && denied.waitable()) {
        return Mono.delay(Duration.ofNanos(Math.max(1, denied.retryAfterNanos())), scheduler)
            .then(reserveAsync(call, startedAt));
      }
      return Mono.just(d);
    });
  }

  private Decision.Denied backoff(CallContext call, UpstreamThrottledException u) {
    return limiter.backoff(call, u.scope(), u.retryAfter()); // the engine's denial, text and all
  }

  private static void settleFailed(Decision.Granted g, boolean refund) {
    if (refund) {
      g.release();
    } else {
      g.commit();
    }
  }

  private McpSchema.CallToolResult deniedTool(Decision.Denied denied) {
    if (asError(denied)) {
      throw error(denied);
    }
    return result(denied);
  }

  /** Whether a tool denial is answered as a JSON-RPC error (else as a tool result). */
  private boolean asError(Decision.Denied denied) {
    return denialMode == DenialMode.ERROR
        || denialMode == DenialMode.RATE_LIMITED_ERROR && denied.reason() != dev.mcpratelimit.DenialReason.BACKOFF;
  }

  /**
   * Renders a denial as a tool result: {@code isError=true}, one text content an LLM can act on,
   * and the structured denial as {@code structuredContent}.
   *
   * @param denied the denial
   * @return the result
   */
  public McpSchema.CallToolResult result(Decision.Denied denied) {
    return McpSchema.CallToolResult.builder()
        .addTextContent(Denials.text(denied))
        .structuredContent(Denials.structured(denied))
        .isError(true)
        .build();
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
    if (denialMode == DenialMode.RATE_LIMITED_ERROR && RateLimitedError.applies(denied)) {
      return McpError.builder(RateLimitedError.CODE).message(Denials.text(denied))
          .data(RateLimitedError.data(denied)).build();
    }
    return McpError.builder(errorCode).message(Denials.text(denied))
        .data(Denials.structured(denied)).build();
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
        throw new IllegalArgumentException("callerAttribute name must not be blank, but was \"" + printable(name) + "\"");
      }
      if (value.isEmpty()) {
        throw new IllegalArgumentException("callerAttribute " + printable(name) + " must not be empty");
      }
      if (value.length() > IdentityExtractor.MAX_VALUE_LENGTH) {
        throw new IllegalArgumentException("callerAttribute " + printable(name) + " must be at most "
            + IdentityExtractor.MAX_VALUE_LENGTH + " characters, but was " + value.length());
      }
      for (int i = 0; i < value.length(); i++) {
        if (Character.isISOControl(value.charAt(i))) {
          throw new IllegalArgumentException("callerAttribute " + printable(name)
              + " must not contain control characters, but has U+" + String.format("%04X", (int) value.charAt(i))
              + " at index " + i);
        }
      }
      callerAttributes.put(name, value);
      return this;
    }

    /** Escapes control characters so an error message stays on one line. */
    private static String printable(String s) {
      StringBuilder b = new StringBuilder(s.length());
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (Character.isISOControl(c)) {
          b.append(String.format("\\u%04X", (int) c));
        } else {
          b.append(c);
        }
      }
      return b.toString();
    }

    /** @return the middleware */
    public McpRateLimiting build() {
      return new McpRateLimiting(this);
    }
  }
}
