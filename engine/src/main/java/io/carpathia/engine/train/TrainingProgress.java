package io.carpathia.engine.train;

import java.io.PrintStream;
import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * What a training run shows while it works: step, loss, learning rate, tokens/s and the time left. On a terminal a
 * progress bar redraws in place; otherwise (CI, logs) a plain line is printed every {@code every} seconds.
 */
public final class TrainingProgress implements AutoCloseable {
    private final ProgressBar bar;
    private final PrintStream plain;
    private final long total;
    private final long intervalNanos;
    private final long start = System.nanoTime();
    private long lastPrint;

    public TrainingProgress(String task, long totalSteps, long startStep, PrintStream out, boolean terminal) {
        this.total = totalSteps;
        this.intervalNanos = Duration.ofSeconds(5).toNanos();
        if (terminal) {
            this.bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(totalSteps).startsFrom(startStep, Duration.ZERO)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).showSpeed()
                    .setConsumer(new ConsoleProgressBarConsumer(out)).setUnit(" steps", 1).build();
            this.plain = null;
        } else {
            this.bar = null;
            this.plain = out;
        }
    }

    /** True when stdout is an interactive terminal. */
    public static boolean isTerminal() {
        return System.console() != null;
    }

    public void update(long step, double loss, double lr, double tokensPerSecond) {
        String extra = String.format("loss %.4f lr %.2e %,.0f tok/s", loss, lr, tokensPerSecond);
        if (bar != null) {
            bar.stepTo(step);
            bar.setExtraMessage(extra);
            return;
        }
        long now = System.nanoTime();
        if (step == total || now - lastPrint >= intervalNanos) {
            lastPrint = now;
            double elapsed = (now - start) / 1e9;
            plain.printf("step %d/%d  %s  elapsed %s%n", step, total, extra, format(elapsed));
            plain.flush();
        }
    }

    /** A line of its own (validation results, samples) that does not garble the bar. */
    public void println(String line) {
        if (bar != null) {
            // the bar redraws itself after the next update
            System.out.print("\r");
        }
        (plain != null ? plain : System.out).println(line);
    }

    private static String format(double seconds) {
        long s = Math.round(seconds);
        return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
