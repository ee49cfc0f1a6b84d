package dev.mcpratelimit.internal;

/** Checks of names that become part of state identities (rule, attribute and dimension names). */
public final class Names {
  private Names() {}

  /**
   * Rejects a name holding a control character (NUL, newline, DEL, …): such names could make two
   * different rules share one counter, and they cannot be read in a log or a denial.
   *
   * @param what what the name is, e.g. {@code "rule name"}
   * @param name the name
   * @return the name
   * @throws IllegalArgumentException naming the character and its position
   */
  public static String checkNoControl(String what, String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (Character.isISOControl(c)) {
        throw new IllegalArgumentException(what + " '" + printable(name) + "' contains the control character "
            + String.format("U+%04X", (int) c) + " at index " + i + ": names must be printable");
      }
    }
    return name;
  }

  /** @return {@code s} with control characters written as {@code \\uXXXX}, cut at 80 characters */
  static String printable(String s) {
    StringBuilder sb = new StringBuilder(Math.min(s.length(), 80) + 8);
    for (int i = 0; i < s.length() && sb.length() < 80; i++) {
      char c = s.charAt(i);
      if (Character.isISOControl(c)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.length() < 80 || s.length() <= 80 ? sb.toString() : sb + "…";
  }
}
