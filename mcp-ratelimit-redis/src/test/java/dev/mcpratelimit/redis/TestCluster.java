package dev.mcpratelimit.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;
import redis.embedded.RedisServer;

/**
 * A real 3-master Redis Cluster on loopback free ports, started once per test JVM: three
 * redis-server processes from the embedded-redis artifact in cluster mode, joined with
 * {@code CLUSTER MEET} and given a third of the slots each with {@code CLUSTER ADDSLOTS}.
 */
final class TestCluster {
  static final int MASTERS = 3;
  private static TestCluster instance;

  final int[] ports = new int[MASTERS];
  private final List<RedisServer> servers = new ArrayList<>();
  private final RedisClient admin = RedisClient.create();
  private final List<StatefulRedisConnection<String, String>> nodes = new ArrayList<>();
  final RedisClusterClient client;

  private TestCluster() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("mcp-rl-cluster");
    for (int i = 0; i < MASTERS; i++) {
      ports[i] = TestRedis.freePort();
      RedisServer s = RedisServer.newRedisServer().port(ports[i]).bind("127.0.0.1")
          .setting("save \"\"").setting("appendonly no").setting("cluster-enabled yes")
          .setting("cluster-node-timeout 5000").setting("dir " + dir)
          .setting("cluster-config-file nodes-" + ports[i] + ".conf").build();
      s.start();
      servers.add(s);
      nodes.add(admin.connect(RedisURI.create("127.0.0.1", ports[i])));
    }
    Runtime.getRuntime().addShutdownHook(new Thread(this::stop));
    int per = SlotHash.SLOT_COUNT / MASTERS;
    for (int i = 0; i < MASTERS; i++) {
      int from = i * per;
      int to = i == MASTERS - 1 ? SlotHash.SLOT_COUNT : from + per;
      nodes.get(i).sync().clusterAddSlots(IntStream.range(from, to).toArray());
      if (i > 0) {
        nodes.get(0).sync().clusterMeet("127.0.0.1", ports[i]);
      }
    }
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (!ready()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the cluster did not become ready: " + nodes.get(0).sync().clusterInfo());
      }
      Thread.sleep(50); // waiting for another process (gossip), not for time in a test
    }
    List<RedisURI> uris = new ArrayList<>();
    for (int p : ports) {
      uris.add(RedisURI.create("127.0.0.1", p));
    }
    client = RedisClusterClient.create(uris);
  }

  private boolean ready() {
    for (StatefulRedisConnection<String, String> n : nodes) {
      String info = n.sync().clusterInfo();
      if (!info.contains("cluster_state:ok") || !info.contains("cluster_known_nodes:" + MASTERS)
          || !info.contains("cluster_slots_assigned:" + SlotHash.SLOT_COUNT)) {
        return false;
      }
    }
    return true;
  }

  static synchronized TestCluster get() {
    if (instance == null) {
      try {
        instance = new TestCluster();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    return instance;
  }

  /** Runs {@code f} on every master's own connection; @return the results in node order */
  <T> List<T> onEachNode(Function<RedisCommands<String, String>, T> f) {
    List<T> out = new ArrayList<>();
    for (StatefulRedisConnection<String, String> n : nodes) {
      out.add(f.apply(n.sync()));
    }
    return out;
  }

  void flushAll() {
    onEachNode(RedisCommands::flushall);
  }

  private void stop() {
    client.shutdown();
    admin.shutdown();
    for (RedisServer s : servers) {
      try {
        s.stop();
      } catch (IOException ignored) {
        // shutting down
      }
    }
  }
}
