#!/usr/bin/python3
"""Reference timing for bench_frechet.cpp: the Fréchet distance at D = 2048 computed the way
pytorch-fid's calculate_frechet_distance does it (np.cov statistics, scipy.linalg.sqrtm(disp=False)
of sigma1 @ sigma2, eps retry, real part), on the same kind of synthetic full-rank statistics
(N = 4096 ReLU'd Gaussian features; numpy's generator, so the values differ from the C++ ones).

    /usr/bin/python3 bench/frechet_ref.py [--dims 2048] [--samples 4096] [--repeats 1]
"""
import argparse
import json
import time

import numpy as np
import scipy
import scipy.linalg


def frechet_like_pytorch_fid(mu1, sigma1, mu2, sigma2, eps=1e-6):
    diff = mu1 - mu2
    covmean, _ = scipy.linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dims", type=int, default=2048)
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    a = np.maximum(rng.standard_normal((args.samples, args.dims)), 0)
    b = np.maximum(rng.standard_normal((args.samples, args.dims)) + 0.2, 0)
    mu1, s1 = a.mean(0), np.cov(a, rowvar=False)
    mu2, s2 = b.mean(0), np.cov(b, rowvar=False)
    times, cpu = [], []
    for _ in range(args.repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fid = frechet_like_pytorch_fid(mu1, s1, mu2, s2)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(json.dumps({"dims": args.dims, "samples": args.samples, "fid": float(fid),
                      "seconds": min(times), "cpu_seconds": min(cpu), "scipy": scipy.__version__, "numpy": np.__version__}))


if __name__ == "__main__":
    main()
