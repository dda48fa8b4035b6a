package io.carpathia.engine.nn;

import io.carpathia.engine.autograd.Tensor;

/** Modules applied one after another, each to the previous one's output; children are named "0", "1", .... */
public class Sequential extends ModuleList<Module> {
    public Sequential(Module... modules) {
        for (Module m : modules) add(m);
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor y = x;
        for (Module m : this) y = m.forward(y);
        return emit(y, x);
    }
}
