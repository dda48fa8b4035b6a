package io.carpathia.engine.optim;

/**
 * A learning rate for each step: {@code lrAt(0)} for the first optimizer step, {@code lrAt(1)} for the second, ....
 * A {@link Scheduler} writes it into an optimizer's groups. Warmups follow Hugging Face's schedules
 * ({@code get_linear_schedule_with_warmup}, {@code get_cosine_schedule_with_warmup}): the rate rises linearly from
 * 0 at step 0 to the peak at step {@code warmupSteps}.
 */
@FunctionalInterface
public interface LrSchedule {
    double lrAt(long step);

    /** The same rate at every step. */
    static LrSchedule constant(double lr) {
        checkLr("constant", lr);
        return step -> lr;
    }

    /** lr · γ^⌊step / stepSize⌋ (PyTorch's StepLR). */
    static LrSchedule stepDecay(double lr, long stepSize, double gamma) {
        checkLr("stepDecay", lr);
        if (stepSize <= 0) throw new IllegalArgumentException("stepDecay: stepSize must be positive, got " + stepSize);
        if (!(gamma >= 0)) throw new IllegalArgumentException("stepDecay: gamma must be >= 0, got " + gamma);
        return step -> lr * Math.pow(gamma, Math.floorDiv(step, stepSize));
    }

    /**
     * Linear warmup from 0 to {@code peakLr} over {@code warmupSteps}, then linear decay to {@code minLr} at
     * {@code totalSteps}, and {@code minLr} after. With minLr = 0 this is Hugging Face's linear schedule.
     */
    static LrSchedule warmupLinear(double peakLr, long warmupSteps, long totalSteps, double minLr) {
        checkWarmup("warmupLinear", peakLr, warmupSteps, totalSteps, minLr);
        return step -> {
            if (step < warmupSteps) return peakLr * step / warmupSteps;
            double progress = decayProgress(step, warmupSteps, totalSteps);
            return minLr + (peakLr - minLr) * (1 - progress);
        };
    }

    /**
     * Linear warmup from 0 to {@code peakLr} over {@code warmupSteps}, then a half cosine down to {@code minLr} at
     * {@code totalSteps}, and {@code minLr} after: minLr + (peak − minLr) · ½(1 + cos(π·progress)).
     */
    static LrSchedule warmupCosine(double peakLr, long warmupSteps, long totalSteps, double minLr) {
        checkWarmup("warmupCosine", peakLr, warmupSteps, totalSteps, minLr);
        return step -> {
            if (step < warmupSteps) return peakLr * step / warmupSteps;
            double progress = decayProgress(step, warmupSteps, totalSteps);
            return minLr + (peakLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
        };
    }

    /** How far through the decay phase a step is, in [0, 1]. */
    private static double decayProgress(long step, long warmupSteps, long totalSteps) {
        if (totalSteps <= warmupSteps) return 1;
        return Math.min(1, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
    }

    private static void checkLr(String schedule, double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException(schedule + ": learning rate must be finite and >= 0, got " + lr);
        }
    }

    private static void checkWarmup(String schedule, double peakLr, long warmupSteps, long totalSteps, double minLr) {
        checkLr(schedule, peakLr);
        checkLr(schedule, minLr);
        if (minLr > peakLr) {
            throw new IllegalArgumentException(schedule + ": minLr " + minLr + " is above peakLr " + peakLr);
        }
        if (warmupSteps < 0 || totalSteps < warmupSteps) {
            throw new IllegalArgumentException(schedule + ": need 0 <= warmupSteps <= totalSteps, got warmupSteps "
                    + warmupSteps + " and totalSteps " + totalSteps);
        }
    }
}
