package io.carpathia.engine.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits a range of work over the machine's cores. The thread count is {@code -Dcarpathia.threads} or the number of
 * available processors: the calling thread takes the first piece and {@code THREADS - 1} workers the others.
 *
 * <p>Hand-off speed decides what is worth splitting. A thread pool's queue and futures cost 17–29 µs per call in this
 * kind of VM (waking a parked thread is slow), which is more than many of the engine's kernels take, so the workers
 * here are plain threads that wait for the next piece by spinning for a short while ({@code
 * -Dcarpathia.spinMicros}, 50 by default) before they park; a model's ops come back to back, so most hand-offs find
 * the worker still spinning and cost about a microsecond. The caller, once its own piece is done, waits the same
 * way. Ranges below the grain run on the calling thread.
 *
 * <p>One range runs on the workers at a time. A call made while they are busy — from a second thread, or from
 * inside a piece — runs whole on its caller, which keeps nested and concurrent use correct and deadlock-free.
 */
public final class Parallel {
    private Parallel() {}

    public static final int THREADS =
            Math.max(1, Integer.getInteger("carpathia.threads", Runtime.getRuntime().availableProcessors()));

    /** How long an idle worker, or a caller waiting for its workers, spins before it parks. */
    private static final long SPIN_NANOS = 1000L * Math.max(0, Integer.getInteger("carpathia.spinMicros", 50));

    @FunctionalInterface
    public interface Range {
        void run(long from, long to);
    }

    private static final AtomicBoolean BUSY = new AtomicBoolean();
    private static volatile Worker[] workers = new Worker[0];

    /** Runs {@code task} over [0, n) in up to {@link #THREADS} contiguous pieces when n ≥ grain, else in one. */
    public static void forRange(long n, long grain, Range task) {
        int pieces = (int) Math.min(THREADS, Math.max(1, n / Math.max(grain, 1)));
        if (pieces <= 1 || !BUSY.compareAndSet(false, true)) {
            task.run(0, n);
            return;
        }
        try {
            Worker[] ws = workers(pieces - 1);
            long step = (n + pieces - 1) / pieces;
            Job job = new Job(task, Thread.currentThread(), pieces - 1);
            for (int p = 1; p < pieces; p++) {
                long from = Math.min(n, p * step);
                ws[p - 1].start(job, from, Math.min(n, from + step));
            }
            Throwable mine = null;
            try {
                task.run(0, Math.min(n, step));
            } catch (Throwable t) {
                mine = t;
            }
            job.await();
            Throwable failure = mine != null ? mine : job.failure;
            if (failure instanceof RuntimeException re) throw re;
            if (failure instanceof Error er) throw er;
            if (failure != null) throw new IllegalStateException(failure);
        } finally {
            BUSY.set(false);
        }
    }

    /** The first {@code count} workers, started on first use. Called only while holding {@link #BUSY}. */
    private static Worker[] workers(int count) {
        Worker[] ws = workers;
        if (ws.length >= count) return ws;
        Worker[] grown = java.util.Arrays.copyOf(ws, count);
        for (int i = ws.length; i < count; i++) {
            grown[i] = new Worker(i + 1);
            grown[i].start();
        }
        workers = grown;
        return grown;
    }

    /** One call's pieces: what the workers run, and the count of pieces still running. */
    private static final class Job {
        final Range task;
        final Thread caller;
        final AtomicInteger pending;
        volatile boolean callerParked;
        volatile Throwable failure;

        Job(Range task, Thread caller, int pieces) {
            this.task = task;
            this.caller = caller;
            this.pending = new AtomicInteger(pieces);
        }

        void finished(Throwable t) {
            if (t != null && failure == null) failure = t;
            if (pending.decrementAndGet() == 0 && callerParked) LockSupport.unpark(caller);
        }

        /** Waits for the workers' pieces: spins a while, then parks until the last one unparks it. */
        void await() {
            long start = System.nanoTime();
            while (pending.get() != 0) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    callerParked = true;
                    if (pending.get() != 0) LockSupport.park(this);
                }
            }
        }
    }

    /** The engine's worker threads, which also carry their kernels' scratch arrays (see {@link Scratch}). */
    static final class Worker extends Thread {
        final Scratch.Buffers scratch = new Scratch.Buffers();

        private Job job;
        private long from;
        private long to;
        /** Incremented by the caller for each new piece; the worker runs a piece when it differs from its count. */
        private volatile long posted;
        private volatile boolean parked;
        private long taken;

        Worker(int index) {
            super("carpathia-worker-" + index);
            setDaemon(true);
        }

        /** Hands this worker a piece (called by the thread holding {@link #BUSY}). */
        void start(Job job, long from, long to) {
            this.job = job;
            this.from = from;
            this.to = to;
            posted = posted + 1;           // only the caller writes it; the volatile write publishes the fields above
            if (parked) LockSupport.unpark(this);
        }

        @Override
        public void run() {
            while (true) {
                long start = System.nanoTime();
                while (posted == taken) {
                    if (System.nanoTime() - start < SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else {
                        parked = true;
                        if (posted == taken) LockSupport.park(this);
                        parked = false;
                    }
                }
                taken = posted;
                Job j = job;
                job = null;
                Throwable failure = null;
                try {
                    j.task.run(from, to);
                } catch (Throwable t) {
                    failure = t;
                }
                j.finished(failure);
            }
        }
    }
}
