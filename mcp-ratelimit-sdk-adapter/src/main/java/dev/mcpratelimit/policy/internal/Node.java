package dev.mcpratelimit.policy.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** A parsed document value with its position: a map, a list or a scalar. */
abstract class Node {
  final int line;
  final int column;

  Node(int line, int column) {
    this.line = line;
    this.column = column;
  }

  abstract String kind();

  /** A mapping; keys keep document order and their own positions. */
  static final class MapNode extends Node {
    final Map<String, Node> entries = new LinkedHashMap<>();
    final Map<String, int[]> keyPositions = new LinkedHashMap<>();

    MapNode(int line, int column) {
      super(line, column);
    }

    @Override
    String kind() {
      return "an object";
    }
  }

  /** A sequence. */
  static final class ListNode extends Node {
    final List<Node> items;

    ListNode(int line, int column, List<Node> items) {
      super(line, column);
      this.items = items;
    }

    @Override
    String kind() {
      return "a list";
    }
  }

  /** A string, number, boolean or null. */
  static final class Scalar extends Node {
    final @Nullable Object value;

    Scalar(int line, int column, @Nullable Object value) {
      super(line, column);
      this.value = value;
    }

    @Override
    String kind() {
      if (value == null) {
        return "null";
      }
      if (value instanceof String) {
        return "text";
      }
      return value instanceof Boolean ? "a boolean" : "a number";
    }
  }
}
