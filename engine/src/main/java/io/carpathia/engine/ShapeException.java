package io.carpathia.engine;

/** A tensor had a shape an operation cannot accept. The message names the op, the shapes found and what was expected. */
public class ShapeException extends IllegalArgumentException {
    public ShapeException(String message) {
        super(message);
    }
}
