package io.carpathia.engine.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class WeakIdentityMapTest {

    @Test
    void keysAreComparedByIdentityNotByContents() {
        WeakIdentityMap<INDArray, String> map = new WeakIdentityMap<>();
        INDArray a = Nd4j.zeros(DataType.FLOAT, 3);
        INDArray b = Nd4j.zeros(DataType.FLOAT, 3);   // equals(a), a different array
        map.put(a, "a");
        assertNull(map.get(b));
        map.put(b, "b");
        assertEquals("a", map.get(a));
        assertEquals("b", map.get(b));
        assertEquals("a", map.remove(a));
        assertNull(map.get(a));
        assertEquals(List.of("b"), map.clear());
        assertEquals(0, map.size());
    }

    @Test
    void collectedKeysHandTheirValuesBack() throws InterruptedException {
        WeakIdentityMap<Object, String> map = new WeakIdentityMap<>();
        Object kept = new Object();
        map.put(kept, "kept");
        map.put(new Object(), "dropped");
        List<String> freed = List.of();
        for (int i = 0; i < 50 && freed.isEmpty(); i++) {
            System.gc();
            Thread.sleep(10);
            freed = map.expunge();
        }
        assertEquals(List.of("dropped"), freed);
        assertEquals(1, map.size());
        assertEquals("kept", map.get(kept));
    }
}
