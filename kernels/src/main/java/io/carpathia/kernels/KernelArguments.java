package io.carpathia.kernels;

import java.util.Arrays;

/**
 * The parameters of one kernel launch, in the order the kernel declares them. Each takes one 64-bit slot; a 4-byte
 * parameter sits in the slot's low half, where {@code cuLaunchKernel} reads it through a pointer to the slot on a
 * little-endian machine (x86-64, arm64). The kernel's own signature fixes each parameter's size: pass {@code int}
 * for {@code int}, {@code long} for {@code long long}, and so on.
 */
public final class KernelArguments {
    private long[] slots = new long[16];
    private int count;

    private KernelArguments add(long slot) {
        if (count == slots.length) slots = Arrays.copyOf(slots, count * 2);
        slots[count++] = slot;
        return this;
    }

    public KernelArguments int32(int value) {
        return add(value & 0xffff_ffffL);
    }

    public KernelArguments int64(long value) {
        return add(value);
    }

    public KernelArguments float32(float value) {
        return add(Float.floatToRawIntBits(value) & 0xffff_ffffL);
    }

    /** A device pointer {@code byteOffset} bytes into {@code buffer}. */
    public KernelArguments pointer(DeviceBuffer buffer, long byteOffset) {
        return add(buffer.address() + byteOffset);
    }

    /** A device pointer given as an address; 0 is a null pointer. */
    public KernelArguments pointer(long deviceAddress) {
        return add(deviceAddress);
    }

    int count() {
        return count;
    }

    long[] slots() {
        return slots;
    }
}
