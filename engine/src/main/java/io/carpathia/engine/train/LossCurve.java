package io.carpathia.engine.train;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Draws the loss curves of a {@code metrics.jsonl} (one series per split) into a PNG. */
public final class LossCurve {
    private LossCurve() {}

    /** Plots metric {@code name} ("loss") against step for every split found, written atomically to {@code png}. */
    public static void write(Path metrics, Path png, String name, String title) throws IOException {
        List<MetricsLog.Entry> entries = MetricsLog.read(metrics);
        XYChart chart = new XYChartBuilder().width(900).height(540).title(title).xAxisTitle("step").yAxisTitle(name)
                .build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setLegendVisible(true);
        chart.getStyler().setMarkerSize(4);
        // plain step numbers, spaced so that labels do not run into each other
        chart.getStyler().setXAxisDecimalPattern("#");
        chart.getStyler().setXAxisTickMarkSpacingHint(90);
        for (String split : new String[] {"train", "val", "test"}) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (MetricsLog.Entry e : entries) {
                Double v = e.values().get(name);
                if (e.split().equals(split) && v != null && Double.isFinite(v)) {
                    xs.add((double) e.step());
                    ys.add(v);
                }
            }
            if (xs.isEmpty()) continue;
            XYSeries s = chart.addSeries(split, xs, ys);
            s.setMarker(split.equals("train") && xs.size() > 50 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
        }
        if (chart.getSeriesMap().isEmpty()) {
            throw new IOException(metrics + " has no '" + name + "' values to plot");
        }
        // saveBitmap appends ".png" to the name it is given: draw to "<name>.tmp.png", then rename over the target
        String tmpBase = png.resolveSibling(png.getFileName() + ".tmp").toString();
        BitmapEncoder.saveBitmap(chart, tmpBase, BitmapEncoder.BitmapFormat.PNG);
        Files.move(Path.of(tmpBase + ".png"), png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
