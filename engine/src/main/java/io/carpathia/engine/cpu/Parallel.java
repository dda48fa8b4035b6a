package io.carpathia.engine.cpu;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Splits a range of work over the machine's cores. Small ranges run on the calling thread: a hand-off costs a few
 * microseconds, more than 32K elements of arithmetic. The thread count is {@code -Dcarpathia.threads} or the number
 * of available processors.
 */
public final class Parallel {
    private Parallel() {}

    public static final int THREADS =
            Integer.getInteger("carpathia.threads", Runtime.getRuntime().availableProcessors());

    private static final ExecutorService WORKERS = Executors.newFixedThreadPool(Math.max(1, THREADS - 1), Worker::new);

    /** The engine's worker threads, which carry their kernels' scratch arrays (see {@link Scratch}). */
    static final class Worker extends Thread {
        final Scratch.Buffers scratch = new Scratch.Buffers();

        Worker(Runnable r) {
            super(r, "carpathia-worker");
            setDaemon(true);
        }
    }

    @FunctionalInterface
    public interface Range {
        void run(long from, long to);
    }

    /** Runs {@code task} over [0, n) in up to {@link #THREADS} contiguous pieces when n ≥ grain, else in one. */
    public static void forRange(long n, long grain, Range task) {
        int pieces = (int) Math.min(THREADS, Math.max(1, n / Math.max(grain, 1)));
        if (pieces <= 1) {
            task.run(0, n);
            return;
        }
        @SuppressWarnings("unchecked")
        Future<?>[] futures = new Future<?>[pieces - 1];
        long step = (n + pieces - 1) / pieces;
        for (int p = 1; p < pieces; p++) {
            long from = p * step;
            long to = Math.min(n, from + step);
            futures[p - 1] = WORKERS.submit(() -> task.run(from, to));
        }
        task.run(0, Math.min(n, step));
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof RuntimeException re) throw re;
                if (c instanceof Error er) throw er;
                throw new IllegalStateException(c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }
}
