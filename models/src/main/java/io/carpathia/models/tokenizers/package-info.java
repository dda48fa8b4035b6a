/**
 * Tokenizers: GPT-2's byte-level BPE ({@link io.carpathia.models.tokenizers.ByteLevelBpeTokenizer}, from
 * {@code vocab.json} + {@code merges.txt} or a Hugging Face {@code tokenizer.json}) and a character-level vocabulary
 * ({@link io.carpathia.models.tokenizers.CharTokenizer}) for small training jobs, behind one
 * {@link io.carpathia.models.tokenizers.Tokenizer} interface.
 */
package io.carpathia.models.tokenizers;
