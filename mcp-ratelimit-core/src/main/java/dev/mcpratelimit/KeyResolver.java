package dev.mcpratelimit;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Resolves the part of a limit's key that identifies whose budget a call spends: the user, the
 * tenant, the tool, an argument, or a combination. Built-ins are in {@link KeyResolvers}.
 *
 * <p>Implementations must be thread-safe, fast and side-effect free. Returning {@code null}
 * means "identity missing"; the rule's {@link MissingIdentity} decides what happens then.
 */
public interface KeyResolver {

  /**
   * Resolves the key part for a call.
   *
   * @param call the call
   * @return the key part (any characters), or {@code null} when the identity is missing
   */
  @Nullable String resolve(CallContext call);

  /**
   * The names of the dimensions this key is made of, e.g. {@code [user]} or {@code [tenant,
   * tool]}. Reported in denials (names only, never values) and part of the rule's identity.
   *
   * @return dimension names, not empty
   */
  List<String> dimensions();
}
