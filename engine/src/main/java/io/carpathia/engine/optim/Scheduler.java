package io.carpathia.engine.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Applies {@link LrSchedule}s to an optimizer's groups, as PyTorch's LR schedulers do: building it sets the rates
 * for step 0, and each {@link #step()} after an optimizer step moves to the next.
 * <pre>{@code
 * var scheduler = new Scheduler(opt, LrSchedule.warmupCosine(6e-4, 100, 5000, 6e-5));
 * for (...) { loss.backward(); opt.step(); opt.zeroGrad(); scheduler.step(); }
 * }</pre>
 */
public final class Scheduler {
    private final Optimizer optimizer;
    private final List<LrSchedule> schedules;
    private long step;

    /** One schedule for every group. */
    public Scheduler(Optimizer optimizer, LrSchedule schedule) {
        this(optimizer, Collections.nCopies(optimizer.paramGroups().size(), schedule));
    }

    /** One schedule per group, in the optimizer's group order (e.g. a higher rate for a head). */
    public Scheduler(Optimizer optimizer, List<LrSchedule> perGroup) {
        if (perGroup.size() != optimizer.paramGroups().size()) {
            throw new IllegalArgumentException("Scheduler: " + perGroup.size() + " schedules for "
                    + optimizer.paramGroups().size() + " param groups of " + optimizer.kind());
        }
        this.optimizer = optimizer;
        this.schedules = List.copyOf(perGroup);
        apply();
    }

    /** Advances to the next step and sets its learning rates. */
    public void step() {
        step++;
        apply();
    }

    /** The number of {@link #step()} calls so far: the index of the optimizer step the current rates are for. */
    public long currentStep() {
        return step;
    }

    /** The rates now set, one per group. */
    public List<Double> currentLrs() {
        List<Double> lrs = new ArrayList<>();
        for (ParamGroup g : optimizer.paramGroups()) lrs.add(g.lr());
        return lrs;
    }

    private void apply() {
        List<ParamGroup> groups = optimizer.paramGroups();
        for (int g = 0; g < groups.size(); g++) {
            double lr = schedules.get(g).lrAt(step);
            if (!(lr >= 0) || Double.isInfinite(lr)) {
                throw new IllegalStateException("Scheduler: the schedule of group " + g + " gave learning rate " + lr
                        + " at step " + step);
            }
            groups.get(g).lr(lr);
        }
    }

    /** {@code step} (INT64 scalar): all a schedule needs to resume. */
    public Map<String, INDArray> stateDict() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put("step", Nd4j.scalar(step));
        return out;
    }

    /** Resumes at the saved step and sets its learning rates. */
    public void loadStateDict(Map<String, INDArray> source) {
        INDArray s = source.get("step");
        if (s == null || s.length() != 1 || s.getLong(0) < 0 || source.size() != 1) {
            throw new IllegalArgumentException("Scheduler: expected a state dict with one key 'step' holding a count "
                    + ">= 0, got keys " + source.keySet());
        }
        step = s.getLong(0);
        apply();
    }
}
