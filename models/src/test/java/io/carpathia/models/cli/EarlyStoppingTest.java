package io.carpathia.models.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EarlyStoppingTest {
    @Test
    void keepsTheBestAccuracyAndStopsAfterPatienceEvaluationsWithoutIt() {
        EarlyStopping s = new EarlyStopping(2);
        assertTrue(s.observe(10, 0.70, 0.60));
        assertTrue(s.observe(20, 0.80, 0.50));
        assertFalse(s.observe(30, 0.75, 0.40));      // a lower loss does not make up for a lower accuracy
        assertFalse(s.shouldStop());
        assertTrue(s.observe(40, 0.80, 0.45));       // the same accuracy with a lower loss is better
        assertFalse(s.observe(50, 0.80, 0.45));      // equal in both: not better
        assertFalse(s.observe(60, 0.60, 0.90));
        assertTrue(s.shouldStop());
        assertEquals(40, s.bestStep());
        assertEquals(0.80, s.bestAccuracy());
    }

    @Test
    void patienceZeroNeverStops() {
        EarlyStopping s = new EarlyStopping(0);
        assertTrue(s.observe(1, 0.9, 0.1));
        for (int i = 2; i < 20; i++) assertFalse(s.observe(i, 0.1, 5));
        assertFalse(s.shouldStop());
        assertEquals(1, s.bestStep());
        assertThrows(IllegalArgumentException.class, () -> new EarlyStopping(-1));
    }
}
