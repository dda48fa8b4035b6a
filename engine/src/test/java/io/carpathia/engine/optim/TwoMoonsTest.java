package io.carpathia.engine.optim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carpathia.engine.autograd.GradMode;
import io.carpathia.engine.autograd.Tensor;
import io.carpathia.engine.memory.Scope;
import io.carpathia.engine.nn.Linear;
import io.carpathia.engine.nn.Sequential;
import io.carpathia.engine.nn.Tanh;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A small MLP learns a problem no linear model can: two interleaved half moons. */
class TwoMoonsTest {

    /** points: [n, 2], labels: [n, 1] in {-1, +1}; the two moons of scikit-learn's make_moons, noise σ = 0.1. */
    private record Data(Tensor points, Tensor labels, double[] y) {}

    private static Data moons(int n, long seed) {
        Random r = new Random(seed);
        double[] xy = new double[2 * n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double t = Math.PI * r.nextDouble();
            boolean upper = i % 2 == 0;
            double x0 = upper ? Math.cos(t) : 1 - Math.cos(t);
            double x1 = upper ? Math.sin(t) : 0.5 - Math.sin(t);
            xy[2 * i] = x0 + 0.1 * r.nextGaussian();
            xy[2 * i + 1] = x1 + 0.1 * r.nextGaussian();
            y[i] = upper ? 1 : -1;
        }
        return new Data(Tensor.of(xy, n, 2), Tensor.of(y, n, 1), y);
    }

    /** mean(log(1 + exp(-y·z))): the logistic loss for labels ±1. */
    private static Tensor logisticLoss(Tensor logits, Tensor labels) {
        return labels.mul(logits).neg().exp().add(1).log().mean();
    }

    private static double accuracy(Sequential model, Data d) {
        try (GradMode off = GradMode.off(); Scope scope = Scope.open()) {
            double[] z = model.forward(d.points()).toDoubleArray();
            int correct = 0;
            for (int i = 0; i < z.length; i++) if (Math.signum(z[i]) == d.y()[i]) correct++;
            return (double) correct / z.length;
        }
    }

    @Test
    void mlpSeparatesTheMoons() {
        Random rng = new Random(7);
        Sequential model = new Sequential(new Linear(2, 16, rng), new Tanh(), new Linear(16, 1, rng));
        Data train = moons(200, 1);
        Data test = moons(200, 2);
        AdamW opt = new AdamW(ParamGroup.decayAndNoDecay(model.namedParameters(), 1e-4), AdamW.options().lr(0.05));
        Scheduler sched = new Scheduler(opt, LrSchedule.warmupCosine(0.05, 20, 400, 0.005));

        double first = Double.NaN;
        double last = Double.NaN;
        for (int step = 0; step < 400; step++) {
            try (Scope scope = Scope.open()) {
                Tensor loss = logisticLoss(model.forward(train.points()), train.labels());
                loss.backward();
                GradClip.clipGradNorm(model.parameters(), 5.0);
                opt.step();
                opt.zeroGrad();
                sched.step();
                if (step == 0) first = loss.item();
                last = loss.item();
            }
        }
        double trainAccuracy = accuracy(model, train);
        double testAccuracy = accuracy(model, test);
        assertTrue(last < first / 10, "loss fell from " + first + " to " + last);
        assertTrue(trainAccuracy > 0.95, "train accuracy " + trainAccuracy);
        assertTrue(testAccuracy > 0.95, "held-out accuracy " + testAccuracy);
    }
}
