package io.carpathia.engine.train;

import java.util.Random;

/**
 * A {@link Random} whose whole state can be saved and restored, so a resumed training run draws the same batches
 * and dropout masks as an uninterrupted one ({@code java.util.Random} hides its seed and its cached Gaussian).
 * The generator is SplitMix64; Gaussians come from the polar method with their second value cached here.
 */
public final class ResumableRandom extends Random {
    private static final long serialVersionUID = 1L;

    private long state;
    private boolean haveGaussian;
    private double nextGaussian;

    public ResumableRandom(long seed) {
        super(0);
        this.state = seed;
    }

    @Override
    public synchronized void setSeed(long seed) {
        // Random's constructor calls this before our fields exist; afterwards it resets the generator
        this.state = seed;
        this.haveGaussian = false;
    }

    @Override
    protected int next(int bits) {
        return (int) (nextLong() >>> (64 - bits));
    }

    @Override
    public synchronized long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public synchronized double nextGaussian() {
        if (haveGaussian) {
            haveGaussian = false;
            return nextGaussian;
        }
        double v1;
        double v2;
        double s;
        do {
            v1 = 2 * nextDouble() - 1;
            v2 = 2 * nextDouble() - 1;
            s = v1 * v1 + v2 * v2;
        } while (s >= 1 || s == 0);
        double m = StrictMath.sqrt(-2 * StrictMath.log(s) / s);
        nextGaussian = v2 * m;
        haveGaussian = true;
        return v1 * m;
    }

    /** The state as text: "state:haveGaussian:gaussianBits". */
    public synchronized String saveState() {
        return Long.toUnsignedString(state) + ":" + haveGaussian + ":" + Double.doubleToRawLongBits(nextGaussian);
    }

    public synchronized void restoreState(String saved) {
        String[] p = saved.split(":");
        if (p.length != 3) throw new IllegalArgumentException("not a saved ResumableRandom state: '" + saved + "'");
        state = Long.parseUnsignedLong(p[0]);
        haveGaussian = Boolean.parseBoolean(p[1]);
        nextGaussian = Double.longBitsToDouble(Long.parseLong(p[2]));
    }
}
