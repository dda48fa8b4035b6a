package io.carpathia.kernels.reference;

/**
 * An emulated kernel did something that on a GPU would be a bug: read or wrote global memory outside its matrix, wrote
 * an output element twice or never, raced on shared memory, read shared memory that did not hold the current slice,
 * or issued a vector access that is not 16-byte aligned.
 */
public final class EmulatedFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EmulatedFault(String message) {
        super(message);
    }
}
