package dev.mcpratelimit.spring.internal;

import dev.mcpratelimit.mcp.McpRateLimiting;
import dev.mcpratelimit.mcp.McpToolFilters;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.util.ClassUtils;

/**
 * The interception point. Spring AI 2.0 builds its MCP servers from every bean of type
 * {@code List<…Specification>} (tool callbacks, {@code ToolCallbackProvider}s and
 * {@code @McpTool}/{@code @McpResource}/{@code @McpPrompt} methods are turned into such list beans
 * by its auto-configuration; applications add their own), streamed through an
 * {@code ObjectProvider} when the server bean is created. Post-processing those list beans replaces
 * each specification with its rate-limited form before any server sees it, whatever produced it.
 *
 * <p>Where the MCP SDK has list filters (2.1+), it also decorates every
 * {@code McpSyncServerCustomizer}/{@code McpAsyncServerCustomizer} bean so the server's builder
 * gets the hidden-tool filter ({@link ToolFilterCustomizers}).
 */
public final class SpecificationPostProcessor implements BeanPostProcessor {
  private static final boolean FILTERS = McpToolFilters.available()
      && ClassUtils.isPresent("org.springframework.ai.mcp.customizer.McpSyncServerCustomizer",
          SpecificationPostProcessor.class.getClassLoader());

  private final ObjectProvider<McpRateLimiting> limits;

  /** @param limits the rate limiting, looked up when the first specification list is created */
  public SpecificationPostProcessor(ObjectProvider<McpRateLimiting> limits) {
    this.limits = limits;
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    if (bean instanceof List<?> list && !list.isEmpty() && allSpecifications(list)) {
      McpRateLimiting l = limits.getObject();
      List<Object> out = new ArrayList<>(list.size());
      for (Object spec : list) {
        out.add(wrap(l, spec));
      }
      return out;
    }
    if (FILTERS) {
      return ToolFilterCustomizers.decorate(bean, limits);
    }
    return bean;
  }

  private static boolean allSpecifications(List<?> list) {
    for (Object o : list) {
      if (!isSpecification(o)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isSpecification(Object o) {
    return o instanceof McpServerFeatures.SyncToolSpecification
        || o instanceof McpServerFeatures.AsyncToolSpecification
        || o instanceof McpServerFeatures.SyncResourceSpecification
        || o instanceof McpServerFeatures.AsyncResourceSpecification
        || o instanceof McpServerFeatures.SyncResourceTemplateSpecification
        || o instanceof McpServerFeatures.AsyncResourceTemplateSpecification
        || o instanceof McpServerFeatures.SyncPromptSpecification
        || o instanceof McpServerFeatures.AsyncPromptSpecification
        || o instanceof McpStatelessServerFeatures.SyncToolSpecification
        || o instanceof McpStatelessServerFeatures.AsyncToolSpecification
        || o instanceof McpStatelessServerFeatures.SyncResourceSpecification
        || o instanceof McpStatelessServerFeatures.AsyncResourceSpecification
        || o instanceof McpStatelessServerFeatures.SyncResourceTemplateSpecification
        || o instanceof McpStatelessServerFeatures.AsyncResourceTemplateSpecification
        || o instanceof McpStatelessServerFeatures.SyncPromptSpecification
        || o instanceof McpStatelessServerFeatures.AsyncPromptSpecification;
  }

  private static Object wrap(McpRateLimiting l, Object o) {
    if (o instanceof McpServerFeatures.SyncToolSpecification s) {
      return l.wrap(s);
    } else if (o instanceof McpServerFeatures.AsyncToolSpecification s) {
      return l.wrap(s);
    } else if (o instanceof McpServerFeatures.SyncResourceSpecification s) {
      return l.wrap(s);
    } else if (o instanceof McpServerFeatures.AsyncResourceSpecification s) {
      return l.wrap(s);
    } else if (o instanceof McpServerFeatures.SyncResourceTemplateSpecification s) {
      return l.wrap(s);
    } else if (o instanceof McpServerFeatures.AsyncResourceTemplateSpecification s) {
      return l.wrap(s);
    } else if (o instanceof McpServerFeatures.SyncPromptSpecification s) {
      return l.wrap(s);
    } else if (o instanceof McpServerFeatures.AsyncPromptSpecification s) {
      return l.wrap(s);
    } else if (o instanceof McpStatelessServerFeatures.SyncToolSpecification s) {
      return l.wrap(s);
    } else if (o instanceof McpStatelessServerFeatures.AsyncToolSpecification s) {
      return l.wrap(s);
    } else if (o instanceof McpStatelessServerFeatures.SyncResourceSpecification s) {
      return l.wrap(s);
    } else if (o instanceof McpStatelessServerFeatures.AsyncResourceSpecification s) {
      return l.wrap(s);
    } else if (o instanceof McpStatelessServerFeatures.SyncResourceTemplateSpecification s) {
      return l.wrap(s);
    } else if (o instanceof McpStatelessServerFeatures.AsyncResourceTemplateSpecification s) {
      return l.wrap(s);
    } else if (o instanceof McpStatelessServerFeatures.SyncPromptSpecification s) {
      return l.wrap(s);
    } else {
      return l.wrap((McpStatelessServerFeatures.AsyncPromptSpecification) o);
    }
  }
}
