package dev.mcpratelimit.policy.internal;

import java.util.Collection;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * "Did you mean …?": the closest of a set of known words to a misspelt one, by edit distance
 * (Levenshtein, case-insensitive). One place for every such hint: unknown policy fields, unknown
 * operators, and rules naming tools the server does not register.
 */
public final class Suggest {
  private Suggest() {}

  /**
   * @param word what was written
   * @param options the words it may have meant
   * @return the closest option when it is close enough (at most 2 edits, or a third of the word's
   *     length for longer words), else {@code null}
   */
  public static @Nullable String closest(String word, Collection<String> options) {
    String best = null;
    int bestD = Integer.MAX_VALUE;
    String w = word.toLowerCase(Locale.ROOT);
    for (String o : options) {
      int d = distance(w, o.toLowerCase(Locale.ROOT));
      if (d < bestD) {
        bestD = d;
        best = o;
      }
    }
    return bestD <= Math.max(2, word.length() / 3) ? best : null;
  }

  /**
   * @param a one word
   * @param b another
   * @return the number of single-character insertions, deletions and substitutions between them
   */
  public static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int c = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + c);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
