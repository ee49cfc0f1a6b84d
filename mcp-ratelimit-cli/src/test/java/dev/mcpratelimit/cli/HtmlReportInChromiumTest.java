package dev.mcpratelimit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTML report opened in a real browser: headless Chromium (Debian's {@code chromium} package)
 * parses the page and renders it. Installs nothing: skipped when {@value #CHROMIUM} is absent; the
 * same run by hand is {@code mcp-ratelimit-cli/scripts/screenshot-report.sh}.
 */
class HtmlReportInChromiumTest {
  static final String CHROMIUM = "/usr/bin/chromium";

  @TempDir Path dir;

  List<String> chromium(String... extra) {
    List<String> cmd = new ArrayList<>(List.of(CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--user-data-dir=" + dir.resolve("profile")));
    cmd.addAll(List.of(extra));
    return cmd;
  }

  String run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(false).redirectError(dir.resolve("chromium.log").toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
    assertEquals(0, p.exitValue(), () -> "chromium failed: " + read(dir.resolve("chromium.log")));
    return out;
  }

  static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return e.toString();
    }
  }

  @Test
  void theComparedReportRendersInHeadlessChromium() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of(CHROMIUM)),
        CHROMIUM + " is not installed (Debian: apt-get install chromium); this test installs nothing. "
            + "See mcp-ratelimit-cli/scripts/screenshot-report.sh");
    Path html = dir.resolve("report.html");
    Cli r = Cli.run("simulate", Cli.resource("policies/shop.yaml").toString(), "--trace", Cli.resource("traces/shop.jsonl").toString(),
        "--compare", Cli.resource("policies/shop-relaxed.yaml").toString(), "--format", "html", "--out", html.toString());
    assertEquals(0, r.code(), r.err());

    String dom = run(chromium("--dump-dom", html.toUri().toString()));
    assertTrue(dom.contains("<h1>mcp-ratelimit simulation</h1>"), dom);
    // one chart per limit rule and policy (5 limit rules x 2 policies), each with the usage line and the limit line
    assertEquals(10, dom.split("<svg width=\"560\"", -1).length - 1, dom);
    assertEquals(10, dom.split("<polyline", -1).length - 1, "every limit rule decided something");
    assertTrue(dom.contains("shop-relaxed.yaml"), "side by side");

    Path png = dir.resolve("report.png");
    run(chromium("--screenshot=" + png, "--window-size=1280,1400", html.toUri().toString()));
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(1280, img.getWidth());
    Set<Integer> colours = new HashSet<>();
    int blue = 0;
    for (int y = 0; y < img.getHeight(); y += 2) {
      for (int x = 0; x < img.getWidth(); x += 2) {
        int rgb = img.getRGB(x, y) & 0xffffff;
        colours.add(rgb);
        int rr = rgb >> 16;
        int gg = (rgb >> 8) & 0xff;
        int bb = rgb & 0xff;
        if (bb > 150 && rr < 90 && gg > 80 && gg < 140) {
          blue++; // the usage lines (#2b6cb0)
        }
      }
    }
    assertTrue(colours.size() > 20, "the page rendered more than a blank: " + colours.size() + " colours");
    assertTrue(blue > 50, "usage lines are drawn: " + blue + " blue pixels");
  }
}
