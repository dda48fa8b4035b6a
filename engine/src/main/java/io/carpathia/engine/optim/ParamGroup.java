package io.carpathia.engine.optim;

import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.nn.NamePattern;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Parameters that share hyperparameters: a learning rate, a weight decay and the optimizer's own settings (momentum,
 * betas, eps, ...), kept by name as PyTorch keeps them in a param group's dict. Settings left unset take the
 * optimizer's defaults when the optimizer is built; a scheduler changes {@code lr} between steps.
 * <pre>{@code
 * var groups = ParamGroup.decayAndNoDecay(model.namedParameters(), 0.1);
 * var opt = new AdamW(groups, AdamW.options().lr(6e-4).betas(0.9, 0.95));
 * }</pre>
 */
public final class ParamGroup {
    public static final String LR = "lr";
    public static final String WEIGHT_DECAY = "weight_decay";

    private final List<Tensor> params;
    private final Map<String, Double> options = new LinkedHashMap<>();
    private String name = "";

    private ParamGroup(List<Tensor> params) {
        this.params = params;
    }

    /** A group of these parameters with every setting left to the optimizer's defaults. */
    public static ParamGroup of(Collection<Tensor> params) {
        if (params == null) throw new IllegalArgumentException("ParamGroup: parameter list is null");
        List<Tensor> copy = new ArrayList<>(params.size());
        for (Tensor p : params) {
            if (p == null) throw new IllegalArgumentException("ParamGroup: a parameter is null");
            copy.add(p);
        }
        return new ParamGroup(Collections.unmodifiableList(copy));
    }

    public List<Tensor> params() {
        return params;
    }

    /** A label for logs ("decay", "no_decay"); not used by the optimizer. */
    public String name() {
        return name;
    }

    public ParamGroup named(String name) {
        this.name = name == null ? "" : name;
        return this;
    }

    public double lr() {
        return get(LR);
    }

    public ParamGroup lr(double lr) {
        return set(LR, lr);
    }

    public double weightDecay() {
        return get(WEIGHT_DECAY);
    }

    public ParamGroup weightDecay(double weightDecay) {
        return set(WEIGHT_DECAY, weightDecay);
    }

    /** A setting by its name (PyTorch's key, e.g. "momentum", "beta1", "eps"). */
    public double get(String key) {
        Double v = options.get(key);
        if (v == null) {
            throw new IllegalArgumentException("param group" + (name.isEmpty() ? "" : " '" + name + "'")
                    + " has no setting '" + key + "' (it has " + options.keySet() + ")");
        }
        return v;
    }

    public boolean has(String key) {
        return options.containsKey(key);
    }

    public ParamGroup set(String key, double value) {
        if (Double.isNaN(value)) throw new IllegalArgumentException("param group setting '" + key + "' is NaN");
        options.put(key, value);
        return this;
    }

    /** The settings by name, in the order they were set. */
    public Map<String, Double> options() {
        return Collections.unmodifiableMap(options);
    }

    /**
     * The usual split for weight decay (GPT-2, BERT recipes): matrices decay, while biases, norm weights and other
     * 1-D parameters — and any parameter whose name matches one of {@code noDecayGlobs} (e.g. "*.ln_*", "wpe.*") —
     * get weight decay 0. Only trainable parameters (requiresGrad) are included, so frozen ones are never updated.
     *
     * @return two groups, "decay" with {@code weightDecay} and "no_decay" with 0; lr and the rest are left to the
     * optimizer
     */
    public static List<ParamGroup> decayAndNoDecay(Map<String, Tensor> namedParameters, double weightDecay,
                                                   String... noDecayGlobs) {
        List<Pattern> patterns = new ArrayList<>();
        for (String g : noDecayGlobs) patterns.add(NamePattern.glob(g));
        List<Tensor> decay = new ArrayList<>();
        List<Tensor> noDecay = new ArrayList<>();
        namedParameters.forEach((paramName, p) -> {
            if (!p.requiresGrad()) return;
            boolean excluded = p.rank() < 2 || patterns.stream().anyMatch(pt -> NamePattern.matches(pt, paramName));
            (excluded ? noDecay : decay).add(p);
        });
        return List.of(of(decay).weightDecay(weightDecay).named("decay"), of(noDecay).weightDecay(0).named("no_decay"));
    }

    @Override
    public String toString() {
        return "ParamGroup" + (name.isEmpty() ? "" : "(" + name + ")") + "[" + params.size() + " params, " + options + "]";
    }
}
