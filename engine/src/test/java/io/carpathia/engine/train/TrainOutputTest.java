package io.carpathia.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainOutputTest {

    @TempDir
    Path dir;

    @Test
    void metricsRoundTripAndAppend() throws IOException {
        Path p = dir.resolve("run/metrics.jsonl");
        try (MetricsLog log = new MetricsLog(p)) {
            log.log(1, "train", Map.of("loss", 2.5));
            log.log(2, "val", "loss", 2.25);
        }
        try (MetricsLog log = new MetricsLog(p)) { // a resumed run appends
            log.log(3, "train", Map.of("loss", 2.0, "tokens", 128L));
        }
        List<MetricsLog.Entry> e = MetricsLog.read(p);
        assertEquals(3, e.size());
        assertEquals(2, e.get(1).step());
        assertEquals("val", e.get(1).split());
        assertEquals(2.25, e.get(1).values().get("loss"));
        assertEquals(128.0, e.get(2).values().get("tokens"));
    }

    @Test
    void malformedMetricsLineIsNamed() throws IOException {
        Path p = dir.resolve("m.jsonl");
        Files.writeString(p, "{\"step\":1,\"split\":\"train\",\"loss\":1}\n{oops\n");
        IOException ex = assertThrows(IOException.class, () -> MetricsLog.read(p));
        assertTrue(ex.getMessage().contains("m.jsonl:2"), ex.getMessage());
    }

    @Test
    void lossCurveIsAPng() throws IOException {
        Path p = dir.resolve("metrics.jsonl");
        try (MetricsLog log = new MetricsLog(p)) {
            for (int s = 0; s <= 100; s += 10) {
                log.log(s, "train", "loss", 4.0 / (1 + s / 10.0));
                if (s % 50 == 0) log.log(s, "val", "loss", 4.2 / (1 + s / 10.0));
            }
        }
        Path png = dir.resolve("loss.png");
        LossCurve.write(p, png, "loss", "test");
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(900, img.getWidth());
        assertEquals(540, img.getHeight());
        // something was drawn: not a single colour
        int first = img.getRGB(0, 0);
        boolean varied = false;
        for (int y = 0; y < img.getHeight() && !varied; y += 7) {
            for (int x = 0; x < img.getWidth(); x += 7) {
                if (img.getRGB(x, y) != first) {
                    varied = true;
                    break;
                }
            }
        }
        assertTrue(varied);
        assertTrue(Files.list(dir).noneMatch(f -> f.getFileName().toString().contains(".tmp")));
    }

    @Test
    void batchesAreShiftedWindowsAndReproducible() {
        int[] tokens = new int[100];
        for (int i = 0; i < tokens.length; i++) tokens[i] = i;
        TokenBatches b = new TokenBatches(tokens, 4, 8);
        TokenBatches.Batch one = b.sample(new Random(5));
        TokenBatches.Batch two = b.sample(new Random(5));
        assertArrayEquals(one.x().toDoubleArray(), two.x().toDoubleArray());
        double[] x = one.x().toDoubleArray();
        double[] y = one.y().toDoubleArray();
        for (int i = 0; i < x.length; i++) assertEquals(x[i] + 1, y[i]);
        for (int r = 0; r < 4; r++) for (int t = 1; t < 8; t++) assertEquals(x[r * 8 + t - 1] + 1, x[r * 8 + t]);
        assertThrows(IllegalArgumentException.class, () -> new TokenBatches(new int[5], 1, 8));
    }
}
