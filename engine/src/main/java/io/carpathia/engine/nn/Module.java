package io.carpathia.engine.nn;

import io.carpathia.engine.Shapes;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.cpu.Native;
import io.carpathia.engine.device.ParameterVersions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A piece of a network: named parameters, named buffers and named child modules, each kept in registration order,
 * so the parameters of a module tree have dotted paths such as {@code h.0.attn.c_attn.weight} — the names a Hugging
 * Face checkpoint uses when the fields are named as in the original model.
 *
 * <p>A subclass registers what it owns in its constructor and writes its own {@code forward}, which returns through
 * {@link #emit} so that forward hooks see every module's output:
 * <pre>{@code
 * final class Mlp extends Module {
 *     private final Linear fc = registerModule("c_fc", new Linear(768, 3072, true, rng));
 *     private final Linear proj = registerModule("c_proj", new Linear(3072, 768, true, rng));
 *
 *     public Tensor forward(Tensor x) {                 // x: [B, T, 768] -> [B, T, 768]
 *         return emit(proj.forward(fc.forward(x).gelu()), x);
 *     }
 * }
 * }</pre>
 *
 * <p>Parameters are leaf tensors that require grad; buffers are tensors that belong to the state (running
 * statistics, fixed masks) but are not trained. A parameter shared by two modules (tied embeddings) is listed once
 * by {@link #namedParameters()} and counted once, but appears under both names in {@link #stateDict()}, as in
 * PyTorch.
 */
public abstract class Module {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Set<String> transientBuffers = new HashSet<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final List<ForwardHook> forwardHooks = new ArrayList<>();
    private boolean training = true;

    /** The result of a non-strict {@link #loadStateDict}: what the model lacked and what the source had extra. */
    public record LoadResult(List<String> missingKeys, List<String> unexpectedKeys) {}

    // ------------------------------------------------------------------------------------------------ registration

    /**
     * Registers a trainable parameter under {@code name} (no dots) and marks it as requiring grad. The tensor must
     * be a floating-point leaf. Returns it, so a field can be initialised in one line.
     */
    public final Tensor registerParameter(String name, Tensor tensor) {
        checkNewName(name, "parameter");
        if (tensor == null) {
            throw new IllegalArgumentException(kind() + ": parameter '" + name + "' is null (a module without a "
                    + "bias simply does not register one)");
        }
        if (!tensor.isLeaf()) {
            throw new IllegalArgumentException(kind() + ": parameter '" + name + "' was made by the op '"
                    + tensor.gradFn().op() + "'; a parameter must be a leaf (register a detach() or copy() of it)");
        }
        tensor.requiresGrad(true);
        ParameterVersions.track(tensor);   // a GPU may keep it between steps; its writers mark changes
        parameters.put(name, tensor);
        return tensor;
    }

    /** Registers a buffer that is saved in the state dict but not trained. */
    public final Tensor registerBuffer(String name, Tensor tensor) {
        return registerBuffer(name, tensor, true);
    }

    /**
     * Registers a buffer; a non-persistent one (a mask rebuilt by the constructor) is left out of the state dict,
     * as with PyTorch's {@code persistent=False}.
     */
    public final Tensor registerBuffer(String name, Tensor tensor, boolean persistent) {
        checkNewName(name, "buffer");
        if (tensor == null) throw new IllegalArgumentException(kind() + ": buffer '" + name + "' is null");
        buffers.put(name, tensor);
        if (!persistent) transientBuffers.add(name);
        return tensor;
    }

    /** Registers a child module under {@code name}; its parameters become {@code name.<their path>}. */
    public final <M extends Module> M registerModule(String name, M module) {
        checkNewName(name, "module");
        if (module == null) throw new IllegalArgumentException(kind() + ": module '" + name + "' is null");
        if (module == this) throw new IllegalArgumentException(kind() + ": a module cannot contain itself");
        children.put(name, module);
        return module;
    }

    private void checkNewName(String name, String what) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException(kind() + ": " + what + " name '" + name
                    + "' must be non-empty and contain no '.' (dots separate the levels of a path)");
        }
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException(kind() + ": the name '" + name + "' is already registered");
        }
    }

    // ------------------------------------------------------------------------------------------------ forward

    /**
     * The forward of a module that takes one tensor. Modules with other inputs declare their own {@code forward}
     * overloads; this default says so.
     */
    public Tensor forward(Tensor x) {
        throw new UnsupportedOperationException(kind() + " does not take a single input tensor: call one of its "
                + "own forward methods");
    }

    /**
     * Every forward returns through here: runs this module's forward hooks on its inputs and output, and returns
     * the output. Costs nothing when no hook is registered.
     */
    protected final Tensor emit(Tensor output, Tensor... inputs) {
        if (forwardHooks.isEmpty()) return output;
        List<Tensor> in = Collections.unmodifiableList(Arrays.asList(inputs));
        for (ForwardHook hook : List.copyOf(forwardHooks)) hook.afterForward(this, in, output);
        return output;
    }

    /** Calls {@code hook} after each forward of this module (not of its children) until the handle is removed. */
    public final HookHandle registerForwardHook(ForwardHook hook) {
        if (hook == null) throw new IllegalArgumentException(kind() + ": forward hook is null");
        forwardHooks.add(hook);
        return new HookHandle(() -> forwardHooks.remove(hook));
    }

    // ------------------------------------------------------------------------------------------------ the tree

    /** Direct children, by name, in registration order. */
    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** This module (name "") and every descendant, by dotted path, depth first in registration order. */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        Set<Module> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        collectModules("", out, seen);
        return out;
    }

    private void collectModules(String prefix, Map<String, Module> out, Set<Module> seen) {
        if (!seen.add(this)) return;
        out.put(prefix, this);
        children.forEach((name, child) -> child.collectModules(join(prefix, name), out, seen));
    }

    /** The descendant at a dotted path ("" is this module). */
    public final Module module(String path) {
        Module m = this;
        if (path.isEmpty()) return m;
        for (String part : path.split("\\.", -1)) {
            Module next = m.children.get(part);
            if (next == null) {
                throw new IllegalArgumentException(kind() + ": no module at '" + path + "': " + m.kind()
                        + " has no child '" + part + "' (children: " + m.children.keySet() + ")");
            }
            m = next;
        }
        return m;
    }

    /**
     * Every parameter by dotted path, own parameters first, then each child's in registration order. A tensor
     * shared by several modules is listed once, under the first path that reaches it.
     */
    public final Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        collectParameters("", out, seen);
        return out;
    }

    private void collectParameters(String prefix, Map<String, Tensor> out, Set<Tensor> seen) {
        parameters.forEach((name, p) -> {
            if (seen.add(p)) out.put(join(prefix, name), p);
        });
        children.forEach((name, child) -> child.collectParameters(join(prefix, name), out, seen));
    }

    /** The parameters of {@link #namedParameters()}, in the same order. */
    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Every buffer by dotted path (persistent or not). */
    public final Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedModules().forEach((path, m) -> m.buffers.forEach((name, b) -> out.put(join(path, name), b)));
        return out;
    }

    /**
     * What a checkpoint holds: every parameter and persistent buffer by dotted path — for each module its own
     * parameters, then its buffers, then its children's — in PyTorch's order. The tensors are the module's own
     * (not copies); a tied parameter appears under each of its names.
     */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collectState("", out);
        return out;
    }

    private void collectState(String prefix, Map<String, Tensor> out) {
        parameters.forEach((name, p) -> out.put(join(prefix, name), p));
        buffers.forEach((name, b) -> {
            if (!transientBuffers.contains(name)) out.put(join(prefix, name), b);
        });
        children.forEach((name, child) -> child.collectState(join(prefix, name), out));
    }

    /**
     * Copies values into this module's parameters and buffers. Values are {@link INDArray}s or {@link Tensor}s and
     * are converted to each target's dtype. A value whose shape differs from its target's is always an error; with
     * {@code strict}, so are keys the module lacks and keys missing from {@code source}. All problems are reported
     * together in one {@link StateDictException}, and nothing is copied unless every check passes.
     *
     * @return the missing and unexpected keys (both empty after a strict load)
     */
    public final LoadResult loadStateDict(Map<String, ?> source, boolean strict) {
        Map<String, Tensor> targets = stateDict();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatches = new ArrayList<>();
        for (String key : targets.keySet()) {
            if (!source.containsKey(key)) missing.add(key);
        }
        Map<String, INDArray> values = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : source.entrySet()) {
            String key = e.getKey();
            Tensor target = targets.get(key);
            if (target == null) {
                unexpected.add(key);
                continue;
            }
            INDArray value = asArray(e.getValue());
            if (value == null) {
                mismatches.add(key + ": expected an INDArray or a Tensor, found "
                        + (e.getValue() == null ? "null" : e.getValue().getClass().getName()));
            } else if (!Shapes.same(value.shape(), target.shape())) {
                mismatches.add(key + ": shape " + Shapes.str(value.shape()) + " in the state dict, "
                        + Shapes.str(target.shape()) + " in the model");
            } else {
                values.put(key, value);
            }
        }
        if (!mismatches.isEmpty() || (strict && (!missing.isEmpty() || !unexpected.isEmpty()))) {
            throw new StateDictException(kind(), missing, unexpected, mismatches);
        }
        values.forEach((key, value) -> copyInto(value, targets.get(key).value()));
        return new LoadResult(List.copyOf(missing), List.copyOf(unexpected));
    }

    private static INDArray asArray(Object o) {
        if (o instanceof INDArray a) return a;
        if (o instanceof Tensor t) return t.value();
        return null;
    }

    /** Copies {@code src} into {@code dst} (same shape), converting the dtype when they differ. */
    static void copyInto(INDArray src, INDArray dst) {
        INDArray s = src.dataType() == dst.dataType() ? src : src.castTo(dst.dataType());
        Native.copy(Native.dense(s), dst);
        ParameterVersions.changed(dst);
    }

    // ------------------------------------------------------------------------------------------------ modes

    /** Sets training mode on this module and every descendant (dropout active). Returns this. */
    public Module train(boolean on) {
        forEachModule(m -> m.training = on);
        return this;
    }

    public Module train() {
        return train(true);
    }

    /** Evaluation mode on this module and every descendant (dropout off). Returns this. */
    public Module eval() {
        return train(false);
    }

    public final boolean isTraining() {
        return training;
    }

    private void forEachModule(Consumer<Module> action) {
        namedModules().values().forEach(action);
    }

    // ------------------------------------------------------------------------------------------------ freezing

    /** Stops every parameter from being trained (requiresGrad false, gradient dropped). Returns this. */
    public Module freeze() {
        parameters().forEach(Module::freezeOne);
        return this;
    }

    /** Makes every parameter trainable again. Returns this. */
    public Module unfreeze() {
        parameters().forEach(p -> p.requiresGrad(true));
        return this;
    }

    /**
     * Freezes the parameters whose path matches a glob ({@code *} spans dots; see {@link NamePattern}), e.g.
     * {@code "h.*.attn.*"} or {@code "*.bias"}. Returns the names frozen; a pattern that matches nothing is an error
     * (it is almost always a typo).
     */
    public List<String> freeze(String glob) {
        return setTrainable(NamePattern.glob(glob), glob, false);
    }

    /** Freezes the parameters whose whole path matches a regular expression; returns their names. */
    public List<String> freeze(Pattern regex) {
        return setTrainable(regex, regex.pattern(), false);
    }

    /** Unfreezes the parameters whose path matches a glob; returns their names. */
    public List<String> unfreeze(String glob) {
        return setTrainable(NamePattern.glob(glob), glob, true);
    }

    /** Unfreezes the parameters whose whole path matches a regular expression; returns their names. */
    public List<String> unfreeze(Pattern regex) {
        return setTrainable(regex, regex.pattern(), true);
    }

    private List<String> setTrainable(Pattern pattern, String shown, boolean trainable) {
        List<String> matched = new ArrayList<>();
        namedParameters().forEach((name, p) -> {
            if (NamePattern.matches(pattern, name)) {
                matched.add(name);
                if (trainable) p.requiresGrad(true);
                else freezeOne(p);
            }
        });
        if (matched.isEmpty()) {
            List<String> names = new ArrayList<>(namedParameters().keySet());
            String sample = names.size() <= 8 ? names.toString() : names.subList(0, 8) + " and " + (names.size() - 8) + " more";
            throw new IllegalArgumentException(kind() + ": the pattern '" + shown + "' matches no parameter (they are "
                    + sample + ")");
        }
        return matched;
    }

    /** Drops every parameter's gradient (PyTorch's {@code module.zero_grad()}, set_to_none). */
    public final void zeroGrad() {
        for (Tensor p : namedParameters().values()) p.zeroGrad();
    }

    private static void freezeOne(Tensor p) {
        p.requiresGrad(false);
        p.zeroGrad();
    }

    // ------------------------------------------------------------------------------------------------ counting

    /** Number of parameter elements, each shared tensor counted once. */
    public final long parameterCount() {
        long n = 0;
        for (Tensor p : namedParameters().values()) n += p.numel();
        return n;
    }

    /** Number of parameter elements that require grad. */
    public final long trainableParameterCount() {
        long n = 0;
        for (Tensor p : namedParameters().values()) if (p.requiresGrad()) n += p.numel();
        return n;
    }

    /**
     * A table of every parameter — path, shape, element count, whether it trains — and the totals:
     * <pre>
     * name      shape    params  trainable
     * 0.weight  [16, 2]      32  yes
     * ...
     * total: 81 parameters (81 trainable, 0 frozen) in 4 tensors
     * </pre>
     */
    public String summary() {
        Map<String, Tensor> named = namedParameters();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"name", "shape", "params", "trainable"});
        for (Map.Entry<String, Tensor> e : named.entrySet()) {
            Tensor p = e.getValue();
            rows.add(new String[] {e.getKey(), Shapes.str(p.shape()), count(p.numel()), p.requiresGrad() ? "yes" : "no"});
        }
        int[] width = new int[4];
        for (String[] r : rows) for (int c = 0; c < 4; c++) width[c] = Math.max(width[c], r[c].length());
        StringBuilder b = new StringBuilder(kind()).append('\n');
        for (String[] r : rows) {
            // names and shapes left-aligned, counts right-aligned so their digits line up
            b.append(pad(r[0], width[0], false)).append("  ")
                    .append(pad(r[1], width[1], false)).append("  ")
                    .append(pad(r[2], width[2], true)).append("  ")
                    .append(r[3]).append('\n');
        }
        long total = parameterCount();
        long trainable = trainableParameterCount();
        b.append("total: ").append(count(total)).append(" parameters (").append(count(trainable))
                .append(" trainable, ").append(count(total - trainable)).append(" frozen) in ")
                .append(named.size()).append(" tensors");
        return b.toString();
    }

    private static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(width - s.length());
        return right ? fill + s : s + fill;
    }

    // ------------------------------------------------------------------------------------------------ printing

    /** The module's class name, used in messages and printouts. */
    protected String kind() {
        return getClass().getSimpleName();
    }

    /** The settings shown inside this module's parentheses by {@link #toString()}, e.g. "in=768, out=3072". */
    protected String extraRepr() {
        return "";
    }

    /** The module tree as PyTorch prints it: {@code Kind(settings)} with one indented line per child. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        print(b, "");
        return b.toString();
    }

    private void print(StringBuilder b, String indent) {
        b.append(kind()).append('(').append(extraRepr());
        if (!children.isEmpty()) {
            b.append('\n');
            for (Map.Entry<String, Module> e : children.entrySet()) {
                b.append(indent).append("  (").append(e.getKey()).append("): ");
                e.getValue().print(b, indent + "  ");
                b.append('\n');
            }
            b.append(indent);
        }
        b.append(')');
    }

    private static String join(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }
}
