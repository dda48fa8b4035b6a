package io.carpathia.models.cli;

/**
 * Early stopping on a validation accuracy: an evaluation is better than the best so far when its accuracy is higher,
 * or equal with a lower loss (small validation sets tie often); training stops after {@code patience} evaluations in
 * a row that are not better (patience 0: never).
 */
final class EarlyStopping {
    private final int patience;
    private double bestAccuracy = Double.NEGATIVE_INFINITY;
    private double bestLoss = Double.POSITIVE_INFINITY;
    private long bestStep = -1;
    private int sinceBest;

    EarlyStopping(int patience) {
        if (patience < 0) throw new IllegalArgumentException("patience must be >= 0, got " + patience);
        this.patience = patience;
    }

    /** Records an evaluation; true when it is the best so far (the caller then keeps these weights). */
    boolean observe(long step, double accuracy, double loss) {
        boolean better = accuracy > bestAccuracy || (accuracy == bestAccuracy && loss < bestLoss);
        if (better) {
            bestAccuracy = accuracy;
            bestLoss = loss;
            bestStep = step;
            sinceBest = 0;
        } else {
            sinceBest++;
        }
        return better;
    }

    /** True once {@code patience} evaluations in a row were not better. */
    boolean shouldStop() {
        return patience > 0 && sinceBest >= patience;
    }

    double bestAccuracy() {
        return bestAccuracy;
    }

    /** The step of the best evaluation, -1 before any. */
    long bestStep() {
        return bestStep;
    }
}
