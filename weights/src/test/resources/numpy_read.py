"""An independent safetensors reader in numpy, for cross-checking files the Java writer produces.

Reads the file given as argument following the format's description (8-byte little-endian header length, UTF-8
JSON header, data section), checks the layout rules, and prints one line per tensor in data order:
    name <TAB> dtype <TAB> shape <TAB> sum of the values as a float64 hex float
then a last line "metadata <TAB> <json of __metadata__>". Exits 1 with a message on any violation.
"""
import json
import struct
import sys

import numpy as np

NUMPY = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
         "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?"}
SIZE = {"BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1}
SIZE.update({k: np.dtype(v).itemsize for k, v in NUMPY.items()})


def e4m3(b):
    s = -1.0 if b & 0x80 else 1.0
    e, m = (b >> 3) & 0xF, b & 7
    if e == 0xF and m == 7:
        return float("nan")
    return s * (m / 8.0 * 2.0 ** -6 if e == 0 else (1 + m / 8.0) * 2.0 ** (e - 7))


def e5m2(b):
    s = -1.0 if b & 0x80 else 1.0
    e, m = (b >> 2) & 0x1F, b & 3
    if e == 0x1F:
        return s * float("inf") if m == 0 else float("nan")
    return s * (m / 4.0 * 2.0 ** -14 if e == 0 else (1 + m / 4.0) * 2.0 ** (e - 15))


def values(dtype, raw):
    if dtype in NUMPY:
        return np.frombuffer(raw, dtype=NUMPY[dtype]).astype(np.float64)
    if dtype == "BF16":
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).astype(np.float64)
    table = np.array([(e4m3 if dtype == "F8_E4M3" else e5m2)(b) for b in range(256)])
    return table[np.frombuffer(raw, dtype="u1")]


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
if n % 8 != 0:
    fail("header length %d is not a multiple of 8" % n)
header = json.loads(data[8:8 + n].decode("utf-8"))
metadata = header.pop("__metadata__", None)
entries = sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"]))
at = 0
for name, info in entries:
    begin, end = info["data_offsets"]
    if begin != at:
        fail("%s starts at %d, expected %d" % (name, begin, at))
    count = int(np.prod(info["shape"], dtype=np.int64)) if info["shape"] else 1
    if end - begin != count * SIZE[info["dtype"]]:
        fail("%s holds %d bytes for %d elements" % (name, end - begin, count))
    if (8 + n + begin) % SIZE[info["dtype"]] != 0:
        fail("%s is not aligned" % name)
    v = values(info["dtype"], data[8 + n + begin:8 + n + end])
    print("%s\t%s\t%s\t%s" % (name, info["dtype"], ",".join(str(d) for d in info["shape"]),
                              float(np.nansum(v)).hex()))
    at = end
if 8 + n + at != len(data):
    fail("data ends at %d, file has %d bytes" % (8 + n + at, len(data)))
print("metadata\t%s" % json.dumps(metadata, sort_keys=True))
