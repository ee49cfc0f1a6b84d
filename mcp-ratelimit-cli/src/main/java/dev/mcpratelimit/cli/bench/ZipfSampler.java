package dev.mcpratelimit.cli.bench;

import java.util.Arrays;
import java.util.Random;

/**
 * Draws ranks 0..n-1 with probability proportional to {@code 1 / (rank + 1)^s} by binary search in
 * the cumulative distribution (8 bytes per rank; exponent 0 is uniform).
 */
final class ZipfSampler {
  private final double[] cdf;

  ZipfSampler(long n, double s) {
    cdf = new double[(int) n];
    double sum = 0;
    for (int i = 0; i < cdf.length; i++) {
      sum += Math.pow(i + 1, -s);
      cdf[i] = sum;
    }
    for (int i = 0; i < cdf.length; i++) {
      cdf[i] /= sum;
    }
  }

  long sample(Random rnd) {
    int i = Arrays.binarySearch(cdf, rnd.nextDouble());
    return i >= 0 ? i : Math.min(cdf.length - 1, -i - 1);
  }
}
