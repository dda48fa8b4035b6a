"""Loads a folder that Carpathia wrote into Hugging Face transformers and compares the outputs of both.

    python bench/transformers_load_check.py gpt2 <model-folder>    # e.g. a `carpathia train` checkpoint
    python bench/transformers_load_check.py bert <model-folder>    # e.g. the output of `carpathia convert`
    (--carpathia PATH to use another launcher than ./carpathia)

Needs a Python with torch, transformers and safetensors (none of which the project itself uses).
- gpt2: random input ids go through `carpathia forward` and through transformers' GPT2LMHeadModel.from_pretrained on
  the same folder; compares the logits and the last hidden state.
- bert: a few sentences go through `carpathia embed` and through BertModel + AutoTokenizer.from_pretrained on the
  same folder (mean pooling over the mask, L2 normalisation, as sentence-transformers does); compares the vectors.
Prints the largest absolute differences; exit status 0 when they are within 1e-4.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch
import transformers
from safetensors.torch import load_file, save_file


def gpt2(folder, launcher):
    config = json.load(open(os.path.join(folder, "config.json")))
    n = config["n_positions"]
    ids = torch.randint(0, config["vocab_size"], (2, n), generator=torch.Generator().manual_seed(0))
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = os.path.join(tmp, "input.safetensors"), os.path.join(tmp, "out.safetensors")
        save_file({"input_ids": ids.to(torch.int64)}, inp)
        subprocess.run([launcher, "forward", "--model", folder, "--input", inp, "--out", out], check=True,
                       stdout=subprocess.DEVNULL)
        ours = load_file(out)
    model = transformers.GPT2LMHeadModel.from_pretrained(folder).eval()
    with torch.no_grad():
        hf = model(ids, output_hidden_states=True)
    return {"logits": (hf.logits - ours["logits"]).abs().max().item(),
            "last_hidden_state": (hf.hidden_states[-1] - ours["last_hidden_state"]).abs().max().item()}


SENTENCES = ["The cat sat on the mat.", "Carpathia runs BERT on the JVM, and checks it against engines it did not write.",
             "Ünïcödé, CJK 漢字 and punctuation!?"]


def bert(folder, launcher):
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    model = transformers.BertModel.from_pretrained(folder).eval()
    enc = tok(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        h = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).float()
    theirs = torch.nn.functional.normalize((h * mask).sum(1) / mask.sum(1), dim=-1)
    out = subprocess.run([launcher, "embed", "--model", folder] + SENTENCES, capture_output=True, text=True,
                         check=True).stdout
    ours = []

    def walk(x):
        if isinstance(x, list) and x and all(isinstance(v, (int, float)) for v in x):
            ours.append(torch.tensor(x))
            return
        for v in (x if isinstance(x, list) else x.values() if isinstance(x, dict) else []):
            walk(v)

    for line in out.splitlines():                    # one JSON object per sentence
        if line.strip():
            walk(json.loads(line))
    ours = [v for v in ours if v.shape == theirs.shape[1:]]
    if len(ours) != len(SENTENCES):
        sys.exit(f"carpathia embed printed {len(ours)} vectors for {len(SENTENCES)} sentences")
    return {"sentence embeddings": max((a - b).abs().max().item() for a, b in zip(ours, theirs))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["gpt2", "bert"])
    ap.add_argument("model")
    ap.add_argument("--carpathia", default="./carpathia")
    args = ap.parse_args()
    diffs = (gpt2 if args.kind == "gpt2" else bert)(args.model, args.carpathia)
    print(f"transformers {transformers.__version__} loaded {args.model}: "
          + ", ".join(f"{k} max diff {v:.2e}" for k, v in diffs.items()))
    sys.exit(0 if all(v <= 1e-4 for v in diffs.values()) else 1)


if __name__ == "__main__":
    main()
