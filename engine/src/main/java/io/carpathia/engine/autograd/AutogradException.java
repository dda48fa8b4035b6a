package io.carpathia.engine.autograd;

/** The graph was used in a way reverse-mode differentiation cannot honour; the message says how and what to do. */
public class AutogradException extends IllegalStateException {
    public AutogradException(String message) {
        super(message);
    }
}
