package io.carpathia.weights.onnx;

import java.util.List;
import java.util.Map;

/**
 * A node of an ONNX graph ({@code NodeProto}): its name (exporters from PyTorch name it by the module path, e.g.
 * {@code /encoder/layer.0/attention/self/query/MatMul}), its operator, the names of the values it reads and writes,
 * and its attributes by name. An empty input name is an omitted optional input.
 */
public record OnnxNode(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                       Map<String, OnnxAttribute> attributes) {
    public OnnxNode {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        attributes = Map.copyOf(attributes);
    }

    /** The attribute {@code name}, or null when the node has none of that name. */
    public OnnxAttribute attribute(String name) {
        return attributes.get(name);
    }

    @Override
    public String toString() {
        return opType + " '" + name + "' " + inputs + " -> " + outputs;
    }
}
