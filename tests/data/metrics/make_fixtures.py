#!/usr/bin/python3
"""Fixtures for tests/test_metrics*.cpp, with expected values computed the way pytorch-fid does
(np.cov, scipy.linalg.sqrtm(disp=False), +1e-6*I retry when non-finite). Run with /usr/bin/python3
from this folder; it rewrites the .npz files and expected.json."""
import json

import numpy as np
import scipy.linalg


def pytorch_fid_value(f1, f2):
    f1 = f1.astype(np.float64)
    f2 = f2.astype(np.float64)
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    diff = mu1 - mu2
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    fallback = not np.isfinite(covmean).all()
    if fallback:
        offset = np.eye(s1.shape[0]) * 1e-6
        covmean = scipy.linalg.sqrtm((s1 + offset).dot(s2 + offset))
    covmean = covmean.real
    fid = diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
    return float(fid), fallback


def main():
    rng = np.random.default_rng(2024)
    expected = {}
    # Rank-deficient: 100 vs 100 random 2048-d features (pitfall A1). Stored as uint8; feature = u / 16.
    a = rng.integers(0, 256, (100, 2048), dtype=np.uint8)
    b = rng.integers(0, 256, (100, 2048), dtype=np.uint8)
    np.savez("rankdef.npz", a=a, b=b)
    fid, fb = pytorch_fid_value(a / 16.0, b / 16.0)
    expected["rankdef_fid"] = fid
    expected["rankdef_fallback"] = fb

    # eps fallback: 500 vs 500 ReLU'd 64-d features, feature 0 constant in set 1, feature 1 in set 2.
    c = np.maximum(rng.integers(-128, 128, (500, 64)), 0).astype(np.uint8)
    d = np.maximum(rng.integers(-100, 156, (500, 64)), 0).astype(np.uint8)
    c[:, 0] = 0
    d[:, 1] = 7
    np.savez("fallback.npz", a=c, b=d)
    fid, fb = pytorch_fid_value(c / 16.0, d / 16.0)
    expected["fallback_fid"] = fid
    expected["fallback_fallback"] = fb
    s1 = np.cov(c / 16.0, rowvar=False)
    s2 = np.cov(d / 16.0, rowvar=False)
    m = (c / 16.0).mean(0) - (d / 16.0).mean(0)
    expected["fallback_fid_without_eps"] = float(
        m.dot(m) + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.linalg.eigvals(s1 @ s2).astype(complex)).real.sum())

    # Reference-statistics formats.
    mu = rng.standard_normal(16)
    x = rng.standard_normal((40, 16))
    sigma = np.cov(x, rowvar=False)
    np.savez_compressed("pytorch_fid_stats.npz", mu=mu, sigma=sigma)  # pytorch-fid --save-stats
    np.savez("edm_stats.npz", mu=mu, sigma=sigma)                     # EDM fid.py ref
    np.savez("adm_ref.npz", arr_0=rng.integers(0, 256, (3, 4, 4, 3), dtype=np.uint8), mu=mu, sigma=sigma,
             mu_s=mu[:8], sigma_s=sigma[:8, :8])
    np.savez("adm_images.npz", arr_0=rng.integers(0, 256, (3, 4, 4, 3), dtype=np.uint8))
    expected["stats_mu0"] = float(mu[0])
    expected["stats_sigma_3_5"] = float(sigma[3, 5])

    with open("expected.json", "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
