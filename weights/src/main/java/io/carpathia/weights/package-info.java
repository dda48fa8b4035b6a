/** safetensors, Hugging Face checkpoint folders and configs, ONNX initializer import. */
package io.carpathia.weights;
