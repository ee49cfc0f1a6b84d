package dev.mcpratelimit.spring.internal;

import dev.mcpratelimit.policy.PolicyException;
import dev.mcpratelimit.policy.PolicyFile;
import dev.mcpratelimit.policy.PolicyLoader;
import dev.mcpratelimit.policy.Problem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.Resource;
import org.springframework.core.io.ResourceLoader;

/** Reads a policy from a Spring resource location; every failure is a located {@link PolicyException}. */
public final class PolicyResources {
  private PolicyResources() {}

  /**
   * @param loader resolves the location
   * @param location e.g. {@code classpath:mcp-ratelimit.yaml} or {@code file:/etc/mcp/policy.yaml}
   * @return the policy
   * @throws PolicyException naming the location, line and field of every mistake
   */
  public static PolicyFile load(ResourceLoader loader, String location) {
    Resource r = loader.getResource(location);
    if (!r.exists()) {
      throw new PolicyException(List.of(new Problem(location, 0, 0, "",
          "no policy file there; create it or point mcp.ratelimit.policy at one (a Spring resource location)")));
    }
    String text;
    try (InputStream in = r.getInputStream()) {
      byte[] bytes = in.readNBytes(PolicyLoader.MAX_SIZE + 1);
      if (bytes.length > PolicyLoader.MAX_SIZE) {
        throw new PolicyException(List.of(new Problem(location, 0, 0, "", "file is larger than " + PolicyLoader.MAX_SIZE + " bytes")));
      }
      text = new String(bytes, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new PolicyException(List.of(new Problem(location, 0, 0, "", "cannot read the file: " + e)));
    }
    return PolicyLoader.parse(text, location, location.toLowerCase(Locale.ROOT).endsWith(".json"));
  }

  /**
   * @param loader resolves the location
   * @param location the location
   * @return the file behind it when it is one on the file system (so it can be watched), else null
   */
  public static @Nullable Path file(ResourceLoader loader, String location) {
    Resource r = loader.getResource(location);
    try {
      return r.isFile() ? r.getFile().toPath() : null;
    } catch (IOException e) {
      return null;
    }
  }
}
