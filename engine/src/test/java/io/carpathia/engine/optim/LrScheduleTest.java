package io.carpathia.engine.optim;

import static io.carpathia.engine.optim.OptimTesting.param;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class LrScheduleTest {
    private static final double TOL = 1e-15;

    @Test
    void constant() {
        LrSchedule s = LrSchedule.constant(3e-4);
        assertEquals(3e-4, s.lrAt(0));
        assertEquals(3e-4, s.lrAt(1_000_000));
    }

    @Test
    void stepDecayHalvesEveryTenSteps() {
        LrSchedule s = LrSchedule.stepDecay(0.1, 10, 0.5);
        assertEquals(0.1, s.lrAt(0), TOL);
        assertEquals(0.1, s.lrAt(9), TOL);
        assertEquals(0.05, s.lrAt(10), TOL);
        assertEquals(0.025, s.lrAt(25), TOL);
    }

    @Test
    void warmupThenLinearDecay() {
        LrSchedule s = LrSchedule.warmupLinear(1e-3, 10, 110, 0);
        assertEquals(0, s.lrAt(0), TOL);
        assertEquals(5e-4, s.lrAt(5), TOL);
        assertEquals(1e-3, s.lrAt(10), TOL);
        assertEquals(5e-4, s.lrAt(60), TOL);
        assertEquals(1e-5, s.lrAt(109), TOL);
        assertEquals(0, s.lrAt(110), TOL);
        assertEquals(0, s.lrAt(500), TOL);
        LrSchedule floor = LrSchedule.warmupLinear(1e-3, 10, 110, 1e-4);
        assertEquals(1e-4 + 9e-4 * 0.5, floor.lrAt(60), TOL);
        assertEquals(1e-4, floor.lrAt(1000), TOL);
    }

    @Test
    void warmupThenCosineToMinimum() {
        LrSchedule s = LrSchedule.warmupCosine(1e-3, 10, 110, 1e-4);
        assertEquals(0, s.lrAt(0), TOL);
        assertEquals(3e-4, s.lrAt(3), TOL);
        assertEquals(1e-3, s.lrAt(10), TOL);
        // a quarter of the way: ½(1 + cos(π/4))
        assertEquals(1e-4 + 9e-4 * 0.5 * (1 + Math.sqrt(0.5)), s.lrAt(35), TOL);
        assertEquals(5.5e-4, s.lrAt(60), TOL);
        assertEquals(1e-4, s.lrAt(110), TOL);
        assertEquals(1e-4, s.lrAt(10_000), TOL);
        // no warmup: the peak at step 0
        assertEquals(1e-3, LrSchedule.warmupCosine(1e-3, 0, 100, 0).lrAt(0), TOL);
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.warmupCosine(1e-3, 20, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.warmupLinear(1e-3, 1, 10, 1e-2));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.stepDecay(0.1, 0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.constant(Double.NaN));
    }

    @Test
    void schedulerSetsEveryGroupAndResumes() {
        SGD opt = new SGD(List.of(ParamGroup.of(List.of(param(1.0))), ParamGroup.of(List.of(param(2.0)))),
                SGD.options().lr(1));
        Scheduler sched = new Scheduler(opt, LrSchedule.warmupLinear(0.1, 4, 8, 0));
        assertEquals(List.of(0.0, 0.0), sched.currentLrs());
        for (int i = 0; i < 3; i++) sched.step();
        assertEquals(3, sched.currentStep());
        assertEquals(0.075, opt.paramGroups().get(0).lr(), TOL);
        assertEquals(0.075, opt.paramGroups().get(1).lr(), TOL);

        Map<String, org.nd4j.linalg.api.ndarray.INDArray> saved = sched.stateDict();
        Scheduler resumed = new Scheduler(opt, LrSchedule.warmupLinear(0.1, 4, 8, 0));
        assertEquals(0.0, opt.paramGroups().get(0).lr());
        resumed.loadStateDict(saved);
        assertEquals(0.075, opt.paramGroups().get(0).lr(), TOL);
        resumed.step();
        assertEquals(0.1, opt.paramGroups().get(1).lr(), TOL);
        assertThrows(IllegalArgumentException.class, () -> resumed.loadStateDict(Map.of("epoch", Nd4j.scalar(1L))));
    }

    @Test
    void schedulerWithOneSchedulePerGroup() {
        SGD opt = new SGD(List.of(ParamGroup.of(List.of(param(1.0))), ParamGroup.of(List.of(param(2.0)))),
                SGD.options().lr(1));
        Scheduler sched = new Scheduler(opt, List.of(LrSchedule.constant(0.1), LrSchedule.stepDecay(1.0, 1, 0.5)));
        sched.step();
        sched.step();
        assertEquals(List.of(0.1, 0.25), sched.currentLrs());
        assertThrows(IllegalArgumentException.class, () -> new Scheduler(opt, List.of(LrSchedule.constant(1))));
    }
}
