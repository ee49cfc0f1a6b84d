package dev.mcpratelimit.bench;

import java.util.SplittableRandom;

/** Precomputed Zipf-distributed indices (rank 0 most frequent), like real key popularity. */
final class Zipf {
  private Zipf() {}

  /**
   * @param n number of distinct keys
   * @param exponent skew, ~1 for web-like traffic
   * @param samples how many indices to draw
   * @param seed random seed
   * @return indices in [0, n)
   */
  static int[] samples(int n, double exponent, int samples, long seed) {
    double[] cdf = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += 1.0 / Math.pow(i + 1, exponent);
      cdf[i] = sum;
    }
    SplittableRandom r = new SplittableRandom(seed);
    int[] out = new int[samples];
    for (int s = 0; s < samples; s++) {
      double u = r.nextDouble() * sum;
      int lo = 0;
      int hi = n - 1;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (cdf[mid] < u) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      out[s] = lo;
    }
    return out;
  }
}
