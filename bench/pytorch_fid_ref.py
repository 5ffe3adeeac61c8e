#!/usr/bin/python3
"""Reference timing of the pytorch-fid pipeline, for comparison with `diffbench_bench`.

pytorch-fid cannot be installed here, so this builds the same FID Inception-v3 in plain PyTorch from the
specification (metrics.md section 1), loads the golden weights from safetensors and runs pytorch-fid's
pipeline (PIL convert('RGB'), ToTensor, bilinear resize to 299 inside the model, 2x-1, pool3) on a folder of
images. It prints images/s and the largest deviation from a features file when one is given.

    (needs python3-pil: apt-get install python3-pil)

    /usr/bin/python3 bench/pytorch_fid_ref.py --images DIR --weights W.safetensors [--threads 2]
        [--batch 50] [--check feats.npy]
"""
import argparse
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image


# ---- the network: same module names as pytorch-fid's state_dict -------------------------------------------

class Unit(nn.Module):
    """Conv (no bias) -> BatchNorm(eps 1e-3) -> ReLU: the 94 units of the network."""

    def __init__(self, cin, cout, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def avg3(x):
    # TF's SAME average pool divides by the valid pixels only.
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class BlockA(nn.Module):
    def __init__(self, cin, pool):
        super().__init__()
        self.branch1x1 = Unit(cin, 64, 1)
        self.branch5x5_1 = Unit(cin, 48, 1)
        self.branch5x5_2 = Unit(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = Unit(cin, 64, 1)
        self.branch3x3dbl_2 = Unit(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = Unit(96, 96, 3, padding=1)
        self.branch_pool = Unit(cin, pool, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch5x5_2(self.branch5x5_1(x))
        c = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        d = self.branch_pool(avg3(x))
        return torch.cat([a, b, c, d], 1)


class BlockB(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3 = Unit(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = Unit(cin, 64, 1)
        self.branch3x3dbl_2 = Unit(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = Unit(96, 96, 3, stride=2)

    def forward(self, x):
        a = self.branch3x3(x)
        b = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([a, b, F.max_pool2d(x, 3, stride=2)], 1)


class BlockC(nn.Module):
    def __init__(self, cin, c7):
        super().__init__()
        self.branch1x1 = Unit(cin, 192, 1)
        self.branch7x7_1 = Unit(cin, c7, 1)
        self.branch7x7_2 = Unit(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = Unit(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = Unit(cin, c7, 1)
        self.branch7x7dbl_2 = Unit(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = Unit(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = Unit(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = Unit(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = Unit(cin, 192, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        c = self.branch7x7dbl_1(x)
        for m in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            c = m(c)
        d = self.branch_pool(avg3(x))
        return torch.cat([a, b, c, d], 1)


class BlockD(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3_1 = Unit(cin, 192, 1)
        self.branch3x3_2 = Unit(192, 320, 3, stride=2)
        self.branch7x7x3_1 = Unit(cin, 192, 1)
        self.branch7x7x3_2 = Unit(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = Unit(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = Unit(192, 192, 3, stride=2)

    def forward(self, x):
        a = self.branch3x3_2(self.branch3x3_1(x))
        b = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([a, b, F.max_pool2d(x, 3, stride=2)], 1)


class BlockE(nn.Module):
    def __init__(self, cin, max_pool):
        super().__init__()
        self.max_pool = max_pool  # Mixed_7c pools with max, a quirk of the TF graph
        self.branch1x1 = Unit(cin, 320, 1)
        self.branch3x3_1 = Unit(cin, 384, 1)
        self.branch3x3_2a = Unit(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = Unit(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = Unit(cin, 448, 1)
        self.branch3x3dbl_2 = Unit(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = Unit(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = Unit(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = Unit(cin, 192, 1)

    def forward(self, x):
        a = self.branch1x1(x)
        b = self.branch3x3_1(x)
        b = torch.cat([self.branch3x3_2a(b), self.branch3x3_2b(b)], 1)
        c = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        c = torch.cat([self.branch3x3dbl_3a(c), self.branch3x3dbl_3b(c)], 1)
        p = F.max_pool2d(x, 3, stride=1, padding=1) if self.max_pool else avg3(x)
        return torch.cat([a, b, c, self.branch_pool(p)], 1)


class FidInception(nn.Module):
    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = Unit(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = Unit(32, 32, 3)
        self.Conv2d_2b_3x3 = Unit(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = Unit(64, 80, 1)
        self.Conv2d_4a_3x3 = Unit(80, 192, 3)
        self.Mixed_5b = BlockA(192, 32)
        self.Mixed_5c = BlockA(256, 64)
        self.Mixed_5d = BlockA(288, 64)
        self.Mixed_6a = BlockB(288)
        self.Mixed_6b = BlockC(768, 128)
        self.Mixed_6c = BlockC(768, 160)
        self.Mixed_6d = BlockC(768, 160)
        self.Mixed_6e = BlockC(768, 192)
        self.Mixed_7a = BlockD(768)
        self.Mixed_7b = BlockE(1280, False)
        self.Mixed_7c = BlockE(2048, True)
        self.fc = nn.Linear(2048, 1008)

    def forward(self, x):
        """x: [N,3,H,W] in [0,1] -> pool3 [N,2048] (pytorch-fid: resize inside, then 2x-1)."""
        x = F.interpolate(x, size=(299, 299), mode='bilinear', align_corners=False)
        x = 2 * x - 1
        for name in ('Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3'):
            x = getattr(self, name)(x)
        x = F.max_pool2d(x, 3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, 3, stride=2)
        for name in ('Mixed_5b', 'Mixed_5c', 'Mixed_5d', 'Mixed_6a', 'Mixed_6b', 'Mixed_6c', 'Mixed_6d',
                     'Mixed_6e', 'Mixed_7a', 'Mixed_7b', 'Mixed_7c'):
            x = getattr(self, name)(x)
        return F.adaptive_avg_pool2d(x, 1).flatten(1)


# ---- weights and images ------------------------------------------------------------------------------------

def load_safetensors(path):
    dtypes = {'F16': np.float16, 'F32': np.float32, 'I64': np.int64, 'F64': np.float64}
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        a, b = info['data_offsets']
        arr = np.frombuffer(data[a:b], dtype=dtypes[info['dtype']]).reshape(info['shape'])
        out[name] = torch.from_numpy(arr.astype(np.float32 if arr.dtype != np.int64 else np.int64))
    return out


def load_images(folder):
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(('.png', '.jpg', '.jpeg', '.bmp')))
    return [os.path.join(folder, n) for n in names]


def to_tensor(path):
    # torchvision ToTensor: HWC uint8 -> CHW float / 255
    u = np.asarray(Image.open(path).convert('RGB'))
    return torch.from_numpy(u.copy()).permute(2, 0, 1).float().div(255)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--images', required=True)
    p.add_argument('--weights', required=True)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--batch', type=int, default=50)
    p.add_argument('--check', default='')
    p.add_argument('--repeat', type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    net = FidInception()
    state = load_safetensors(a.weights)
    net.load_state_dict(state, strict=False)
    net.eval()
    paths = load_images(a.images)
    best = None
    with torch.no_grad():
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            feats = []
            for i in range(0, len(paths), a.batch):
                x = torch.stack([to_tensor(q) for q in paths[i:i + a.batch]])
                feats.append(net(x))
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
    feats = torch.cat(feats).numpy()
    print(json.dumps({'images': len(paths), 'threads': a.threads, 'batch': a.batch, 'seconds': best,
                      'images_per_s': len(paths) / best}))
    if a.check:
        ref = np.load(a.check)
        print('max_abs_diff_vs_check', float(np.abs(ref - feats).max()))


if __name__ == '__main__':
    main()
