/**
 * Tokenizers: GPT-2's byte-level BPE ({@link io.carpathia.models.tokenizers.ByteLevelBpeTokenizer}, from
 * {@code vocab.json} + {@code merges.txt} or a Hugging Face {@code tokenizer.json}), BERT's WordPiece
 * ({@link io.carpathia.models.tokenizers.WordPieceTokenizer}, from {@code vocab.txt} or {@code tokenizer.json}) and a
 * character-level vocabulary ({@link io.carpathia.models.tokenizers.CharTokenizer}) for small training jobs, behind
 * one {@link io.carpathia.models.tokenizers.Tokenizer} interface. {@link io.carpathia.models.tokenizers.BertTokenizer}
 * turns text into BERT's model inputs: {@code [CLS] ... [SEP]}, token types, truncation, padded batches.
 */
package io.carpathia.models.tokenizers;
