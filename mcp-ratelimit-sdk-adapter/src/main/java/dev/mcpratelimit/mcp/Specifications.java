package dev.mcpratelimit.mcp;

import static dev.mcpratelimit.CallContext.Method.PROMPTS_GET;
import static dev.mcpratelimit.CallContext.Method.RESOURCES_READ;
import static dev.mcpratelimit.CallContext.Method.TOOLS_CALL;

import dev.mcpratelimit.CallContext;
import dev.mcpratelimit.RateLimiter;
import dev.mcpratelimit.mcp.internal.NameCheck;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import reactor.core.publisher.Mono;

/**
 * Wraps MCP SDK specifications: each kind (tool, resource, resource template, prompt; stateful
 * and stateless; sync and async) gets the same specification back with a handler that builds the
 * call's context ({@link CallContexts}) and runs the handler through the sync ({@link SyncCalls})
 * or async ({@link AsyncCalls}) call path. Notes each registered name for the policy's name check.
 * Thread-safe.
 *
 * <p>The target of a call is the tool's or prompt's name, or the concrete URI a resource read
 * asks for (also under a template); the name noted is the registered one (the template for a
 * template).
 */
final class Specifications {
  private final RateLimiter limiter;
  private final CallContexts contexts;
  private final SyncCalls sync;
  private final AsyncCalls async;
  private final NameCheck names;

  Specifications(RateLimiter limiter, CallContexts contexts, SyncCalls sync, AsyncCalls async, NameCheck names) {
    this.limiter = limiter;
    this.contexts = contexts;
    this.sync = sync;
    this.async = async;
    this.names = names;
  }

  /** Wraps every tool of a list with {@code wrap}, then checks the policy's tool names. */
  <S> List<S> tools(List<S> specs, UnaryOperator<S> wrap) {
    List<S> out = new ArrayList<>(specs.size());
    for (S s : specs) {
      out.add(wrap.apply(s));
    }
    names.check(limiter.policy(), TOOLS_CALL);
    return out;
  }

  // ------------------------------------------------------------------ the four handler shapes

  /** A sync tool handler, taking its identity from {@code X} (an exchange or a transport context). */
  private <X, R> BiFunction<X, R, McpSchema.CallToolResult> syncTool(
      BiFunction<X, R, McpSchema.CallToolResult> handler, BiFunction<X, R, CallContext> context) {
    return (x, r) -> sync.tool(context.apply(x, r), () -> handler.apply(x, r));
  }

  /** A sync resource or prompt handler. */
  private <X, R, T> BiFunction<X, R, T> syncOther(BiFunction<X, R, T> handler, BiFunction<X, R, CallContext> context) {
    return (x, r) -> sync.other(context.apply(x, r), () -> handler.apply(x, r));
  }

  /** An async tool handler; the context is built when the call is subscribed to. */
  private <X, R> BiFunction<X, R, Mono<McpSchema.CallToolResult>> asyncTool(
      BiFunction<X, R, Mono<McpSchema.CallToolResult>> handler, BiFunction<X, R, CallContext> context) {
    return (x, r) -> Mono.defer(() -> async.tool(context.apply(x, r), () -> handler.apply(x, r)));
  }

  /** An async resource or prompt handler; the context is built when the call is subscribed to. */
  private <X, R, T> BiFunction<X, R, Mono<T>> asyncOther(
      BiFunction<X, R, Mono<T>> handler, BiFunction<X, R, CallContext> context) {
    return (x, r) -> Mono.defer(() -> async.other(context.apply(x, r), () -> handler.apply(x, r)));
  }

  // ------------------------------------------------------------------ tools

  McpServerFeatures.SyncToolSpecification wrap(McpServerFeatures.SyncToolSpecification spec) {
    String name = spec.tool().name();
    names.saw(TOOLS_CALL, name);
    return new McpServerFeatures.SyncToolSpecification(spec.tool(),
        syncTool(spec.callHandler(), (ex, req) -> contexts.of(TOOLS_CALL, name, req.arguments(), ex)));
  }

  McpServerFeatures.AsyncToolSpecification wrap(McpServerFeatures.AsyncToolSpecification spec) {
    String name = spec.tool().name();
    names.saw(TOOLS_CALL, name);
    return new McpServerFeatures.AsyncToolSpecification(spec.tool(),
        asyncTool(spec.callHandler(), (ex, req) -> contexts.of(TOOLS_CALL, name, req.arguments(), ex)));
  }

  McpStatelessServerFeatures.SyncToolSpecification wrap(McpStatelessServerFeatures.SyncToolSpecification spec) {
    String name = spec.tool().name();
    names.saw(TOOLS_CALL, name);
    return new McpStatelessServerFeatures.SyncToolSpecification(spec.tool(),
        syncTool(spec.callHandler(), (ctx, req) -> contexts.of(TOOLS_CALL, name, req.arguments(), ctx)));
  }

  McpStatelessServerFeatures.AsyncToolSpecification wrap(McpStatelessServerFeatures.AsyncToolSpecification spec) {
    String name = spec.tool().name();
    names.saw(TOOLS_CALL, name);
    return new McpStatelessServerFeatures.AsyncToolSpecification(spec.tool(),
        asyncTool(spec.callHandler(), (ctx, req) -> contexts.of(TOOLS_CALL, name, req.arguments(), ctx)));
  }

  // ------------------------------------------------------------------ resources and templates

  McpServerFeatures.SyncResourceSpecification wrap(McpServerFeatures.SyncResourceSpecification spec) {
    names.saw(RESOURCES_READ, spec.resource().uri());
    return new McpServerFeatures.SyncResourceSpecification(spec.resource(),
        syncOther(spec.readHandler(), (ex, req) -> contexts.of(RESOURCES_READ, req.uri(), Map.of(), ex)));
  }

  McpServerFeatures.AsyncResourceSpecification wrap(McpServerFeatures.AsyncResourceSpecification spec) {
    names.saw(RESOURCES_READ, spec.resource().uri());
    return new McpServerFeatures.AsyncResourceSpecification(spec.resource(),
        asyncOther(spec.readHandler(), (ex, req) -> contexts.of(RESOURCES_READ, req.uri(), Map.of(), ex)));
  }

  McpServerFeatures.SyncResourceTemplateSpecification wrap(McpServerFeatures.SyncResourceTemplateSpecification spec) {
    names.saw(RESOURCES_READ, spec.resourceTemplate().uriTemplate());
    return new McpServerFeatures.SyncResourceTemplateSpecification(spec.resourceTemplate(),
        syncOther(spec.readHandler(), (ex, req) -> contexts.of(RESOURCES_READ, req.uri(), Map.of(), ex)));
  }

  McpServerFeatures.AsyncResourceTemplateSpecification wrap(McpServerFeatures.AsyncResourceTemplateSpecification spec) {
    names.saw(RESOURCES_READ, spec.resourceTemplate().uriTemplate());
    return new McpServerFeatures.AsyncResourceTemplateSpecification(spec.resourceTemplate(),
        asyncOther(spec.readHandler(), (ex, req) -> contexts.of(RESOURCES_READ, req.uri(), Map.of(), ex)));
  }

  McpStatelessServerFeatures.SyncResourceSpecification wrap(McpStatelessServerFeatures.SyncResourceSpecification spec) {
    names.saw(RESOURCES_READ, spec.resource().uri());
    return new McpStatelessServerFeatures.SyncResourceSpecification(spec.resource(),
        syncOther(spec.readHandler(), (ctx, req) -> contexts.of(RESOURCES_READ, req.uri(), Map.of(), ctx)));
  }

  McpStatelessServerFeatures.AsyncResourceSpecification wrap(McpStatelessServerFeatures.AsyncResourceSpecification spec) {
    names.saw(RESOURCES_READ, spec.resource().uri());
    return new McpStatelessServerFeatures.AsyncResourceSpecification(spec.resource(),
        asyncOther(spec.readHandler(), (ctx, req) -> contexts.of(RESOURCES_READ, req.uri(), Map.of(), ctx)));
  }

  McpStatelessServerFeatures.SyncResourceTemplateSpecification wrap(
      McpStatelessServerFeatures.SyncResourceTemplateSpecification spec) {
    names.saw(RESOURCES_READ, spec.resourceTemplate().uriTemplate());
    return new McpStatelessServerFeatures.SyncResourceTemplateSpecification(spec.resourceTemplate(),
        syncOther(spec.readHandler(), (ctx, req) -> contexts.of(RESOURCES_READ, req.uri(), Map.of(), ctx)));
  }

  McpStatelessServerFeatures.AsyncResourceTemplateSpecification wrap(
      McpStatelessServerFeatures.AsyncResourceTemplateSpecification spec) {
    names.saw(RESOURCES_READ, spec.resourceTemplate().uriTemplate());
    return new McpStatelessServerFeatures.AsyncResourceTemplateSpecification(spec.resourceTemplate(),
        asyncOther(spec.readHandler(), (ctx, req) -> contexts.of(RESOURCES_READ, req.uri(), Map.of(), ctx)));
  }

  // ------------------------------------------------------------------ prompts

  McpServerFeatures.SyncPromptSpecification wrap(McpServerFeatures.SyncPromptSpecification spec) {
    names.saw(PROMPTS_GET, spec.prompt().name());
    return new McpServerFeatures.SyncPromptSpecification(spec.prompt(),
        syncOther(spec.promptHandler(), (ex, req) -> contexts.of(PROMPTS_GET, req.name(), req.arguments(), ex)));
  }

  McpServerFeatures.AsyncPromptSpecification wrap(McpServerFeatures.AsyncPromptSpecification spec) {
    names.saw(PROMPTS_GET, spec.prompt().name());
    return new McpServerFeatures.AsyncPromptSpecification(spec.prompt(),
        asyncOther(spec.promptHandler(), (ex, req) -> contexts.of(PROMPTS_GET, req.name(), req.arguments(), ex)));
  }

  McpStatelessServerFeatures.SyncPromptSpecification wrap(McpStatelessServerFeatures.SyncPromptSpecification spec) {
    names.saw(PROMPTS_GET, spec.prompt().name());
    return new McpStatelessServerFeatures.SyncPromptSpecification(spec.prompt(),
        syncOther(spec.promptHandler(), (ctx, req) -> contexts.of(PROMPTS_GET, req.name(), req.arguments(), ctx)));
  }

  McpStatelessServerFeatures.AsyncPromptSpecification wrap(McpStatelessServerFeatures.AsyncPromptSpecification spec) {
    names.saw(PROMPTS_GET, spec.prompt().name());
    return new McpStatelessServerFeatures.AsyncPromptSpecification(spec.prompt(),
        asyncOther(spec.promptHandler(), (ctx, req) -> contexts.of(PROMPTS_GET, req.name(), req.arguments(), ctx)));
  }
}
