package io.carpathia.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Nf4LayoutTest {

    @Test
    void sizesOfTheBitsandbytesLayout() {
        Nf4Layout odd = Nf4Layout.of(129);
        assertEquals(65, odd.packedBytes()); // the last byte's low nibble is unused
        assertEquals(3, odd.blocks());
        assertEquals(0, odd.nestedGroups());
        Nf4Layout nested = Nf4Layout.doubleQuantized(4096L * 4096);
        assertEquals(4096L * 4096 / 2, nested.packedBytes());
        assertEquals(262144, nested.blocks());
        assertEquals(1024, nested.nestedGroups());
        assertEquals(6, nested.log2Blocksize());
        assertEquals(8, nested.log2NestedBlocksize());
        assertEquals(1, Nf4Layout.doubleQuantized(1).nestedGroups());
    }

    @Test
    void badLayoutsAreRejected() {
        assertEquals("nf4: blocksize must be a power of two >= 2, got 48",
                assertThrows(IllegalArgumentException.class, () -> new Nf4Layout(10, 48, 0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Nf4Layout(-1, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> new Nf4Layout(10, 64, 100));
    }

    @Test
    void vectorisationRules() {
        Nf4Layout layout = Nf4Layout.of(1000);
        assertTrue(layout.dequantizeVectorisable(256, 512));
        assertFalse(layout.dequantizeVectorisable(256, 514));
        assertFalse(new Nf4Layout(1000, 16, 0).dequantizeVectorisable(256, 512), "a vector would span two blocks");
        assertTrue(Nf4Layout.of(64 * 10).gemvVectorisable(64, 0, 16));
        assertFalse(Nf4Layout.of(40 * 10).gemvVectorisable(40, 0, 16));
    }

    @Test
    void dequantizeGridIsOneVectorPerThreadCappedPerMultiprocessor() {
        assertEquals(1, Nf4Layout.of(1).dequantizeBlocks(true, 132));
        assertEquals(2048, Nf4Layout.of(4096L * 4096).dequantizeBlocks(true, 132));
        assertEquals(16 * 132, Nf4Layout.of(4096L * 4096).dequantizeBlocks(false, 132));
    }
}
