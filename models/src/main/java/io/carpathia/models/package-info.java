/** GPT-2, BERT, ViT, the captioner, tokenizers and the command-line interface. */
package io.carpathia.models;
