#!/usr/bin/python3
"""Writes the io/ test fixtures: one small state_dict in every container diffbench reads.

Run with Debian's python3 (torch 1.13, numpy): /usr/bin/python3 tests/data/io/make_fixtures.py
Every float value is exactly representable in float16 and bfloat16, so all copies compare exactly.
"""
import collections
import json
import os
import struct
import zipfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def out(name):
    return os.path.join(HERE, name)


def values(n, scale=8.0, seed=0):
    # Multiples of 1/8 in [-8, 8): exact in float16, bfloat16 and float32.
    g = torch.Generator().manual_seed(seed)
    return torch.randint(-64, 64, (n,), generator=g).float() / scale


def make_state_dict():
    base = torch.arange(10, dtype=torch.float32) * 0.5  # one storage shared by three tensors
    sd = collections.OrderedDict()
    sd["conv.weight"] = values(4 * 3 * 3 * 3).reshape(4, 3, 3, 3)
    sd["conv.bias"] = values(4, seed=1)
    sd["half.weight"] = values(6, seed=2).half().reshape(2, 3)
    sd["bf16.weight"] = values(5, seed=3).bfloat16()
    sd["double.value"] = torch.tensor([1.0 / 3.0, -2.5e-300, 7.0], dtype=torch.float64)
    sd["int32.value"] = torch.tensor([-7, 0, 2147483647], dtype=torch.int32)
    sd["uint8.value"] = torch.tensor([0, 1, 255], dtype=torch.uint8)
    sd["bool.mask"] = torch.tensor([True, False, True])
    sd["bn.num_batches_tracked"] = torch.tensor(12345, dtype=torch.int64)  # 0-d int64
    sd["shared.base"] = base
    sd["shared.view"] = base[2:8].view(2, 3)  # storage offset 2
    sd["shared.strided"] = base.view(2, 5)[:, 1:4]  # offset 1, stride (5, 1): not contiguous
    sd["param"] = torch.nn.Parameter(values(3, seed=4))  # goes through _rebuild_parameter
    return sd


def write_safetensors(path, sd, metadata):
    codes = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
             torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL"}
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, t in sd.items():
        t = t.detach().contiguous()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": codes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def numpy_copy(sd):
    # npz cannot hold bfloat16: that entry is stored as float32 (the test converts).
    return {name: (t.detach().float() if t.dtype == torch.bfloat16 else t.detach()).numpy() for name, t in sd.items()}


def make_module():
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(values(p.numel(), seed=p.numel()).reshape(p.shape))
        m[1].running_mean.copy_(values(4, seed=10))
        m[1].running_var.copy_(values(4, seed=11).abs() + 1)
        m[1].num_batches_tracked.fill_(7)
    return m


def write_inception_layout(path):
    # The 566-entry layout of pt_inception-2015-12-05-6726825d.pth (legacy format, OrderedDict;
    # module_legacy.pt covers _metadata), every tensor a stride-0 view of one shared 566-element storage: right shapes, tiny file.
    keys = os.path.join(HERE, "../../../../shared/reference/keys/fid-inception-v3.keys.txt")
    entries = []
    for line in open(keys):
        name, shape = line.rstrip("\n").split("\t")
        entries.append((name, json.loads(shape)))
        if name.endswith("bn.running_var"):
            entries.append((name[: -len("running_var")] + "num_batches_tracked", None))
    storage = torch.arange(len(entries), dtype=torch.float32)
    longs = torch.arange(len(entries), dtype=torch.int64)
    sd = collections.OrderedDict()
    for i, (name, shape) in enumerate(entries):
        if shape is None:
            sd[name] = longs[i]
        else:
            sd[name] = storage[i:i + 1].reshape([1] * len(shape)).expand(shape)
    torch.save(sd, path, _use_new_zipfile_serialization=False)


def main():
    write_inception_layout(out("inception_layout_legacy.pt"))
    sd = make_state_dict()
    torch.save(sd, out("sd_zip.pt"))
    torch.save(sd, out("sd_zip_p4.pt"), pickle_protocol=4)
    torch.save(sd, out("sd_legacy.pt"), _use_new_zipfile_serialization=False)
    write_safetensors(out("sd.safetensors"), sd, {"format": "pt", "source": "make_fixtures.py"})
    np.savez(out("sd.npz"), **numpy_copy(sd))

    module_sd = make_module().state_dict()  # OrderedDict with _metadata
    torch.save(module_sd, out("module_zip.pt"))
    torch.save(module_sd, out("module_legacy.pt"), _use_new_zipfile_serialization=False)
    # A training checkpoint: the reader must pick "ema" over "model".
    wrong = collections.OrderedDict((k, torch.zeros_like(v)) for k, v in module_sd.items())
    torch.save({"epoch": 3, "model": wrong, "ema": module_sd, "args": {"lr": 0.1}}, out("checkpoint_zip.pt"))
    torch.save({"state_dict": {"encoder": {"w": torch.ones(2)}, "decoder": {"w": torch.zeros(3)}}},
               out("nested_legacy.pt"), _use_new_zipfile_serialization=False)
    torch.save(torch.nn.Linear(2, 2), out("whole_module_legacy.pt"), _use_new_zipfile_serialization=False)

    # npy variants.
    a = np.arange(12, dtype=np.float32).reshape(3, 4) / 4
    np.save(out("c_order_f4.npy"), a)
    np.save(out("fortran_f8.npy"), np.asfortranarray(a.astype(np.float64)))
    with open(out("v2_i8.npy"), "wb") as f:
        np.lib.format.write_array(f, np.arange(6, dtype=np.int64).reshape(2, 3) - 3, version=(2, 0))
    with open(out("v3_u1.npy"), "wb") as f:
        np.lib.format.write_array(f, np.arange(24, dtype=np.uint8).reshape(2, 3, 4), version=(3, 0))
    np.save(out("big_endian_f4.npy"), a.astype(">f4"))
    np.save(out("bool_b1.npy"), np.array([True, False, False, True]))
    np.save(out("half_f2.npy"), np.array([0.5, -2.0, 65504.0], dtype=np.float16))
    np.save(out("int32_i4.npy"), np.array([[1, -2], [3, -4]], dtype=np.int32))
    np.save(out("scalar_f8.npy"), np.float64(2.75))

    # Statistics file as pytorch-fid writes it (deflated members).
    rng = np.random.RandomState(0)
    np.savez_compressed(out("stats_compressed.npz"), mu=rng.randn(8), sigma=np.eye(8) + 0.25)

    # An ADM-style sample batch whose member uses ZIP64 records (small, but structured as > 4 GiB would be).
    batch = (np.arange(7 * 4 * 5 * 3) % 251).astype(np.uint8).reshape(7, 4, 5, 3)
    with zipfile.ZipFile(out("batch_zip64.npz"), "w", compression=zipfile.ZIP_STORED) as zf:
        with zf.open("arr_0.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array(f, batch)
        with zf.open("arr_1.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array(f, np.arange(7, dtype=np.int64))
    with zipfile.ZipFile(out("batch_deflated.npz"), "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("arr_0.npy", "w") as f:
            np.lib.format.write_array(f, batch)


if __name__ == "__main__":
    main()
