/** GPT-2, BERT, their tokenizers and the command-line interface. */
package io.carpathia.models;
