package io.carpathia.engine.optim;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.device.ParameterVersions;
import io.carpathia.engine.nn.StateDictException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Updates parameters from their gradients. Parameters come in {@link ParamGroup}s, each with its own learning rate,
 * weight decay and optimizer settings; settings a group leaves unset take the optimizer's defaults.
 * <pre>{@code
 * loss.backward();
 * optimizer.step();       // in place, under GradMode.off()
 * optimizer.zeroGrad();
 * }</pre>
 *
 * <p>Per-parameter state (a step count and the optimizer's moment buffers) is allocated once, on a parameter's first
 * step, and updated in place afterwards. {@link #stateDict()} exports it with the group settings as plain arrays
 * keyed by group and parameter index, so a training run resumes exactly after {@link #loadStateDict}.
 */
public abstract class Optimizer {
    private final String kind;
    private final Map<String, Double> defaults;
    private final List<String> bufferNames;
    private final List<ParamGroup> groups = new ArrayList<>();
    /** state.get(g).get(i): the state of parameter i of group g, null before its first step. */
    private final List<List<ParamState>> state = new ArrayList<>();
    private final Map<Tensor, String> owners = new IdentityHashMap<>();

    /** The step count and state buffers (in the order of the optimizer's buffer names) of one parameter. */
    public static final class ParamState {
        private long step;
        private final INDArray[] buffers;

        ParamState(int buffers) {
            this.buffers = new INDArray[buffers];
        }

        /** Steps taken by this parameter (1 during its first update). */
        public long step() {
            return step;
        }

        /** Buffer {@code i}, or null if it was never needed. */
        public INDArray buffer(int i) {
            return buffers[i];
        }

        /** Buffer {@code i}, allocated as zeros shaped like {@code param} the first time it is asked for. */
        INDArray zeros(int i, INDArray param) {
            if (buffers[i] == null) buffers[i] = Nd4j.zeros(param.dataType(), param.shape());
            return buffers[i];
        }
    }

    /**
     * @param defaults    every setting this optimizer knows, with its default value (lr included)
     * @param bufferNames the per-parameter state buffers, by their PyTorch names (e.g. "exp_avg", "exp_avg_sq")
     */
    protected Optimizer(String kind, Collection<ParamGroup> groups, Map<String, Double> defaults,
                        String... bufferNames) {
        this.kind = kind;
        this.defaults = Collections.unmodifiableMap(new LinkedHashMap<>(defaults));
        this.bufferNames = List.of(bufferNames);
        if (groups == null || groups.isEmpty()) {
            throw new IllegalArgumentException(kind + ": no parameter groups given");
        }
        for (ParamGroup g : groups) addParamGroup(g);
    }

    /** One group with every setting from {@code defaults}. */
    protected static List<ParamGroup> single(Collection<Tensor> params) {
        return List.of(ParamGroup.of(params));
    }

    /**
     * Adds a group: fills in the settings it leaves unset from the defaults, checks their values, and checks that
     * none of its parameters is already in another group.
     */
    public final void addParamGroup(ParamGroup group) {
        int index = groups.size();
        String where = kind + " param group " + index + (group.name().isEmpty() ? "" : " ('" + group.name() + "')");
        for (String key : group.options().keySet()) {
            if (!defaults.containsKey(key)) {
                throw new IllegalArgumentException(where + ": unknown setting '" + key + "'; " + kind + " knows "
                        + defaults.keySet());
            }
        }
        defaults.forEach((key, value) -> {
            if (!group.has(key)) group.set(key, value);
        });
        validate(group, where);
        for (int i = 0; i < group.params().size(); i++) {
            Tensor p = group.params().get(i);
            if (!p.isLeaf()) {
                throw new IllegalArgumentException(where + ": parameter " + i + " was made by the op '"
                        + p.gradFn().op() + "'; an optimizer updates leaf tensors only");
            }
            String previous = owners.putIfAbsent(p, where + " parameter " + i);
            if (previous != null) {
                throw new IllegalArgumentException(where + ": parameter " + i + " is already optimized as " + previous
                        + "; a parameter may appear in one group only");
            }
        }
        // what an optimizer updates is a parameter: a GPU may keep it between steps, and step() marks each update
        for (Tensor p : group.params()) ParameterVersions.track(p);
        groups.add(group);
        List<ParamState> states = new ArrayList<>(Collections.nCopies(group.params().size(), (ParamState) null));
        state.add(states);
    }

    /** Checks the settings of a group (ranges of lr, betas, ...); {@code where} names the group in messages. */
    protected abstract void validate(ParamGroup group, String where);

    /**
     * Updates one parameter in place. {@code state.step()} already counts this step. Runs with grad mode off.
     *
     * @param param the parameter's value; {@code grad} its gradient, same shape and dtype
     */
    protected abstract void update(ParamGroup group, INDArray param, INDArray grad, ParamState state);

    /**
     * One optimization step over every parameter that requires grad and has a gradient (others are skipped, as in
     * PyTorch).
     */
    public final void step() {
        try (GradMode off = GradMode.off()) {
            for (int g = 0; g < groups.size(); g++) {
                ParamGroup group = groups.get(g);
                List<ParamState> states = state.get(g);
                for (int i = 0; i < group.params().size(); i++) {
                    Tensor p = group.params().get(i);
                    INDArray grad = p.grad();
                    if (!p.requiresGrad() || grad == null) continue;
                    ParamState s = states.get(i);
                    if (s == null) {
                        s = new ParamState(bufferNames.size());
                        states.set(i, s);
                    }
                    s.step++;
                    update(group, p.value(), grad, s);
                    ParameterVersions.changed(p.value());
                }
            }
        }
    }

    /** Drops every parameter's gradient (PyTorch's zero_grad with set_to_none); the arrays go back to the pool. */
    public final void zeroGrad() {
        for (ParamGroup g : groups) for (Tensor p : g.params()) p.zeroGrad();
    }

    public final List<ParamGroup> paramGroups() {
        return Collections.unmodifiableList(groups);
    }

    /** Sets the learning rate of every group. */
    public final void setLr(double lr) {
        for (ParamGroup g : groups) g.lr(lr);
    }

    /** The state of parameter {@code index} of group {@code group}, or null before its first step. */
    public final ParamState state(int group, int index) {
        return state.get(group).get(index);
    }

    // ------------------------------------------------------------------------------------------------ state dict

    /**
     * A snapshot (copies) of the optimizer: {@code param_groups.<g>.params} (INT64 parameter count) and
     * {@code param_groups.<g>.<setting>} (DOUBLE scalars), and for every parameter that has taken a step
     * {@code state.<g>.<i>.step} (INT64) and {@code state.<g>.<i>.<buffer>} (the parameter's shape and dtype).
     * Every value is an array, so the dict can be written to a safetensors file as it is.
     */
    public final Map<String, INDArray> stateDict() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (int g = 0; g < groups.size(); g++) {
            ParamGroup group = groups.get(g);
            out.put("param_groups." + g + ".params", Nd4j.scalar((long) group.params().size()));
            for (Map.Entry<String, Double> e : group.options().entrySet()) {
                out.put("param_groups." + g + "." + e.getKey(), Nd4j.scalar(e.getValue()));
            }
        }
        for (int g = 0; g < groups.size(); g++) {
            List<ParamState> states = state.get(g);
            for (int i = 0; i < states.size(); i++) {
                ParamState s = states.get(i);
                if (s == null) continue;
                String prefix = "state." + g + "." + i + ".";
                out.put(prefix + "step", Nd4j.scalar(s.step));
                for (int b = 0; b < bufferNames.size(); b++) {
                    if (s.buffers[b] != null) out.put(prefix + bufferNames.get(b), s.buffers[b].dup('c'));
                }
            }
        }
        return out;
    }

    /**
     * Restores a {@link #stateDict()} taken from an optimizer of the same kind over the same parameters: the group
     * settings (learning rates included) and every parameter's step count and buffers, which are copied into this
     * optimizer's own arrays. Parameters without saved state start afresh. Any missing or unknown key, a different
     * number of groups or parameters, or a buffer whose shape differs from its parameter's is reported, all at once,
     * in a {@link StateDictException}, and nothing is changed.
     */
    public final void loadStateDict(Map<String, INDArray> source) {
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatches = new ArrayList<>();
        Map<String, INDArray> remaining = new LinkedHashMap<>(source);

        // group structure and settings
        for (int g = 0; g < groups.size(); g++) {
            ParamGroup group = groups.get(g);
            String countKey = "param_groups." + g + ".params";
            INDArray count = remaining.remove(countKey);
            if (count == null) {
                missing.add(countKey);
            } else if (count.length() != 1 || count.getLong(0) != group.params().size()) {
                mismatches.add(countKey + ": " + describe(count) + " in the state dict, " + group.params().size()
                        + " parameters in this optimizer");
            }
            for (String key : group.options().keySet()) {
                String k = "param_groups." + g + "." + key;
                INDArray v = remaining.remove(k);
                if (v == null) missing.add(k);
                else if (v.length() != 1) mismatches.add(k + ": expected a scalar, found shape " + Shapes.str(v.shape()));
            }
        }

        // per-parameter state
        for (int g = 0; g < groups.size(); g++) {
            List<Tensor> params = groups.get(g).params();
            for (int i = 0; i < params.size(); i++) {
                String prefix = "state." + g + "." + i + ".";
                INDArray step = remaining.remove(prefix + "step");
                boolean anyBuffer = false;
                for (String b : bufferNames) {
                    INDArray v = remaining.remove(prefix + b);
                    if (v == null) continue;
                    anyBuffer = true;
                    long[] expected = params.get(i).shape();
                    if (!Shapes.same(v.shape(), expected)) {
                        mismatches.add(prefix + b + ": shape " + Shapes.str(v.shape()) + " in the state dict, "
                                + Shapes.str(expected) + " for the parameter");
                    }
                }
                if (step == null && anyBuffer) missing.add(prefix + "step");
                if (step != null && (step.length() != 1 || step.getLong(0) < 1)) {
                    mismatches.add(prefix + "step: expected a positive scalar count, found " + describe(step));
                }
            }
        }
        unexpected.addAll(remaining.keySet());
        if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatches.isEmpty()) {
            throw new StateDictException("optimizer " + kind, missing, unexpected, mismatches);
        }

        // everything fits: apply
        for (int g = 0; g < groups.size(); g++) {
            ParamGroup group = groups.get(g);
            for (String key : List.copyOf(group.options().keySet())) {
                group.set(key, source.get("param_groups." + g + "." + key).getDouble(0));
            }
            List<ParamState> states = state.get(g);
            for (int i = 0; i < states.size(); i++) {
                String prefix = "state." + g + "." + i + ".";
                INDArray step = source.get(prefix + "step");
                if (step == null) {
                    states.set(i, null);
                    continue;
                }
                ParamState s = states.get(i);
                if (s == null) {
                    s = new ParamState(bufferNames.size());
                    states.set(i, s);
                }
                s.step = step.getLong(0);
                INDArray param = group.params().get(i).value();
                for (int b = 0; b < bufferNames.size(); b++) {
                    INDArray saved = source.get(prefix + bufferNames.get(b));
                    if (saved == null) {
                        s.buffers[b] = null;
                    } else {
                        copyInto(saved, s.zeros(b, param));
                    }
                }
            }
        }
    }

    private static void copyInto(INDArray src, INDArray dst) {
        INDArray s = src.dataType() == dst.dataType() ? src : src.castTo(dst.dataType());
        io.carpathia.engine.cpu.Native.copy(io.carpathia.engine.cpu.Native.dense(s), dst);
    }

    private static String describe(INDArray a) {
        if (a.length() == 1) {
            return a.dataType() == DataType.DOUBLE || a.dataType() == DataType.FLOAT
                    ? Double.toString(a.getDouble(0)) : Long.toString(a.getLong(0));
        }
        return "an array of shape " + Shapes.str(a.shape());
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Fails unless {@code lo ≤ value} (and {@code value < hi} when hi is finite). */
    protected static void checkRange(String where, String setting, double value, double lo, double hi) {
        if (!(value >= lo) || (Double.isFinite(hi) && !(value < hi))) {
            String range = Double.isFinite(hi) ? "[" + lo + ", " + hi + ")" : ">= " + lo;
            throw new IllegalArgumentException(where + ": " + setting + " must be " + range + ", got " + value);
        }
    }

    public final String kind() {
        return kind;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(kind).append(" (");
        for (int g = 0; g < groups.size(); g++) {
            b.append("\n  group ").append(g).append(": ").append(groups.get(g));
        }
        return b.append("\n)").toString();
    }
}
