#!/usr/bin/python3
"""Makes the [data] test fixtures and the arrays PIL's convert('RGB') gives for them (expected/*.npy).

Run with /usr/bin/python3 (numpy + PIL) from this folder; the outputs are committed.
"""
import gzip
import io
import os
import shutil
import struct
import zipfile
import zlib

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(1234)
H, W = 4, 5  # non-square so that a transposed reader fails


def raw_png(width, height, color_type, bit_depth, rows):
    """PNG writer for the layouts PIL cannot save (16-bit RGB / gray+alpha)."""
    def chunk(tag, data):
        return struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data) & 0xffffffff)
    ihdr = struct.pack('>IIBBBBB', width, height, bit_depth, color_type, 0, 0, 0)
    raw = b''.join(b'\x00' + r.tobytes() for r in rows)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')


def u8(*shape):
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def reset(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path)


def pil_rgb(path):
    return np.asarray(Image.open(path).convert('RGB'))


def make_folder():
    root = os.path.join(HERE, 'folder')
    reset(root)
    os.makedirs(os.path.join(root, 'nested', 'deeper'))
    Image.fromarray(u8(H, W), 'L').save(os.path.join(root, 'a_gray.png'))
    rgba = u8(H, W, 4)
    rgba[0, 0, 3] = 0  # fully transparent pixel: PIL keeps its stored RGB
    Image.fromarray(rgba, 'RGBA').save(os.path.join(root, 'b_rgba.png'))
    pal = Image.fromarray(rng.integers(0, 7, size=(H, W), dtype=np.uint8), 'P')
    pal.putpalette(list(u8(7 * 3)))
    pal.save(os.path.join(root, 'c_palette.png'))
    g16 = np.array([[0, 1, 254, 255, 256], [1000, 32767, 32768, 65280, 65535],
                    [7, 77, 177, 300, 12345], [200, 100, 50, 25, 255]], dtype='>u2')
    with open(os.path.join(root, 'd_gray16.png'), 'wb') as f:
        f.write(raw_png(W, H, 0, 16, list(g16)))
    rgb16 = rng.integers(0, 65536, size=(H, W, 3)).astype('>u2')
    with open(os.path.join(root, 'e_rgb16.png'), 'wb') as f:
        f.write(raw_png(W, H, 2, 16, list(rgb16)))
    Image.fromarray(u8(H, W, 2), 'LA').save(os.path.join(root, 'f_gray_alpha.png'))
    la16 = rng.integers(0, 65536, size=(H, W, 2)).astype('>u2')
    with open(os.path.join(root, 'f_gray_alpha16.png'), 'wb') as f:
        f.write(raw_png(W, H, 4, 16, list(la16)))
    Image.fromarray(u8(H, W, 3), 'RGB').save(os.path.join(root, 'nested', 'g_upper.JPG'), quality=90)
    Image.fromarray(u8(H, W, 3), 'RGB').save(os.path.join(root, 'nested', 'deeper', 'h.bmp'))
    Image.fromarray(u8(H, W, 3), 'RGB').save(os.path.join(root, 'nested', 'deeper', 'i.webp'), lossless=True)
    Image.fromarray(u8(H, W, 3), 'RGB').save(os.path.join(root, 'nested', 'deeper', 'j.TIFF'))
    with open(os.path.join(root, 'notes.txt'), 'w') as f:
        f.write('not an image\n')
    exts = ('.png', '.jpg', '.jpeg', '.bmp', '.webp', '.tif', '.tiff')
    names = []
    for d, _, files in os.walk(root):
        for n in files:
            if n.lower().endswith(exts):
                names.append(os.path.relpath(os.path.join(d, n), root).replace(os.sep, '/'))
    names.sort()
    with open(os.path.join(HERE, 'expected', 'folder_names.txt'), 'w') as f:
        f.write('\n'.join(names) + '\n')
    np.save(os.path.join(HERE, 'expected', 'folder.npy'),
            np.stack([pil_rgb(os.path.join(root, n)) for n in names]))

    mixed = os.path.join(HERE, 'mixed_sizes')
    reset(mixed)
    Image.fromarray(u8(H, W, 3), 'RGB').save(os.path.join(mixed, 'a.png'))
    Image.fromarray(u8(W, H, 3), 'RGB').save(os.path.join(mixed, 'b.png'))
    corrupt = os.path.join(HERE, 'corrupt')
    reset(corrupt)
    Image.fromarray(u8(H, W, 3), 'RGB').save(os.path.join(corrupt, 'a.png'))
    with open(os.path.join(corrupt, 'b.png'), 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\nthis is not a png')


def make_zip():
    """EDM/StyleGAN dataset-zip layout: images in sub-folders, dataset.json beside them."""
    images = {'00001/img00000002.png': u8(H, W, 3), '00000/img00000001.png': u8(H, W, 3),
              '00000/img00000000.png': u8(H, W, 3), 'top.PNG': u8(H, W, 3)}
    path = os.path.join(HERE, 'tiny.zip')
    with zipfile.ZipFile(path, 'w', compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr('dataset.json', '{"labels": null}')
        for name, img in images.items():  # written out of order: the reader sorts
            b = io.BytesIO()
            Image.fromarray(img, 'RGB').save(b, 'PNG')
            z.writestr(name, b.getvalue(), compress_type=zipfile.ZIP_STORED)
    names = sorted(images)
    np.save(os.path.join(HERE, 'expected', 'zip.npy'), np.stack([images[n] for n in names]))


def make_npz():
    arr = u8(6, H, W, 3)
    np.savez(os.path.join(HERE, 'tiny.npz'), arr)
    np.savez_compressed(os.path.join(HERE, 'tiny_compressed.npz'), arr)
    np.savez(os.path.join(HERE, 'gray.npz'), u8(2, H, W, 1))
    np.savez(os.path.join(HERE, 'float.npz'), np.zeros((2, H, W, 3), np.float32))
    np.savez(os.path.join(HERE, 'no_arr0.npz'), mu=np.zeros(3))
    np.save(os.path.join(HERE, 'expected', 'npz.npy'), arr)


def make_cifar():
    root = os.path.join(HERE, 'cifar')
    reset(root)
    train, test = [], []
    for i in range(1, 6):
        recs = [(rng.integers(0, 10), u8(3, 32, 32)) for _ in range(2)]
        train += recs
        with open(os.path.join(root, 'data_batch_%d.bin' % i), 'wb') as f:
            f.write(b''.join(bytes([lab]) + img.tobytes() for lab, img in recs))
    test = [(rng.integers(0, 10), u8(3, 32, 32)) for _ in range(3)]
    with open(os.path.join(root, 'test_batch.bin'), 'wb') as f:
        f.write(b''.join(bytes([lab]) + img.tobytes() for lab, img in test))
    np.save(os.path.join(HERE, 'expected', 'cifar_train.npy'), np.stack([img.transpose(1, 2, 0) for _, img in train]))
    np.save(os.path.join(HERE, 'expected', 'cifar_test.npy'), np.stack([img.transpose(1, 2, 0) for _, img in test]))
    np.save(os.path.join(HERE, 'expected', 'cifar_test_labels.npy'), np.array([lab for lab, _ in test], np.int64))
    bad = os.path.join(HERE, 'cifar_bad')
    reset(bad)
    with open(os.path.join(bad, 'test_batch.bin'), 'wb') as f:
        f.write(bytes([1]) + u8(3072).tobytes() + bytes([2]) + u8(100).tobytes())


def idx(images=None, labels=None):
    if images is not None:
        return struct.pack('>IIII', 0x803, *images.shape) + images.tobytes()
    return struct.pack('>II', 0x801, len(labels)) + labels.tobytes()


def make_idx():
    root = os.path.join(HERE, 'idx')
    reset(root)
    train, test = u8(7, H, W), u8(3, H, W)
    with gzip.open(os.path.join(root, 'train-images-idx3-ubyte.gz'), 'wb') as f:
        f.write(idx(images=train))
    with gzip.open(os.path.join(root, 'train-labels-idx1-ubyte.gz'), 'wb') as f:
        f.write(idx(labels=rng.integers(0, 10, 7).astype(np.uint8)))
    with open(os.path.join(root, 't10k-images-idx3-ubyte'), 'wb') as f:  # plain, not gzipped
        f.write(idx(images=test))
    with open(os.path.join(root, 't10k-labels-idx1-ubyte'), 'wb') as f:
        f.write(idx(labels=rng.integers(0, 10, 3).astype(np.uint8)))
    np.save(os.path.join(HERE, 'expected', 'idx_train.npy'), np.repeat(train[..., None], 3, axis=3))
    np.save(os.path.join(HERE, 'expected', 'idx_test.npy'), np.repeat(test[..., None], 3, axis=3))
    bad = os.path.join(HERE, 'idx_bad')
    reset(bad)
    with gzip.open(os.path.join(bad, 'train-images-idx3-ubyte.gz'), 'wb') as f:
        f.write(idx(images=u8(4, H, W)))
    with gzip.open(os.path.join(bad, 'train-labels-idx1-ubyte.gz'), 'wb') as f:
        f.write(idx(labels=np.zeros(5, np.uint8)))


def make_quantize():
    """Float samples and the bytes the references' own torch expressions give (metrics.md §2.5)."""
    import torch
    special = [-1.5, -1.01, -1.0, -0.5, -1e-7, 0.0, 1e-7, 0.2, 0.5, 1.0 / 255, 1.0, 1.01, 2.0]
    # values whose scaled form sits on a .5 boundary exercise the round-half-up rule
    halves = [(k + 0.5) / 127.5 - 1.0 for k in range(0, 255, 7)]
    x = torch.tensor(special + halves + list(rng.uniform(-1.05, 1.05, 300)), dtype=torch.float32)
    edm = (x * 127.5 + 128).clip(0, 255).to(torch.uint8)             # EDM generate.py / DiT sample_ddp.py
    adm = ((x + 1) * 127.5).clamp(0, 255).to(torch.uint8)             # ADM image_sample.py / DiffiT sample.py
    np.save(os.path.join(HERE, 'expected', 'quantize_x.npy'), x.numpy())
    np.save(os.path.join(HERE, 'expected', 'quantize_round.npy'), edm.numpy())
    np.save(os.path.join(HERE, 'expected', 'quantize_truncate.npy'), adm.numpy())


if __name__ == '__main__':
    os.makedirs(os.path.join(HERE, 'expected'), exist_ok=True)
    make_folder()
    make_zip()
    make_npz()
    make_cifar()
    make_idx()
    make_quantize()
