// Process-wide run-time set-up: thread count, BLAS check, device choice.
#pragma once
#include <functional>
#include <string>

#include <c10/core/Device.h>

namespace diffbench {

// Sets LibTorch's intra-op threads. 0 means all cores (LibTorch alone picks 1 on some machines).
// Returns the count in effect.
int configure_threads(int requested);
int current_threads();

// Runs task(0) .. task(n-1) at the same time, each on its own thread confined to one intra-op thread
// (task 0 on the calling thread), and returns when all are done, rethrowing the first failure. Work split
// this way over independent inputs runs ~1.3x faster than one task over all threads (no per-layer
// synchronisation), and every input is computed the same way whatever the thread count. This needs
// LibTorch's OpenMP thread pool, whose thread count is per thread; elsewhere (the native pool) the tasks
// run one after another on all threads and single_threaded_tasks() is false.
void run_single_threaded_tasks(int n, const std::function<void(int)>& task);
bool single_threaded_tasks();
// Confines the calling thread's LibTorch ops to one thread, where the pool allows it per thread (OpenMP;
// elsewhere this does nothing). Threads started later default to one thread too, until configure_threads.
void confine_to_one_thread();

// The BLAS library actually mapped into the process (real path), e.g. ".../openblas-pthread/libblas.so.3".
std::string linked_blas();
// Warns once, in one line, when the reference BLAS is linked (matmul then runs ~40x slower).
void check_blas();

// "cpu", "cuda", "cuda:1" or "auto" (CUDA when available). Fails with a clear line otherwise.
c10::Device resolve_device(const std::string& name);
// Human-readable device name for provenance ("cpu: <model name>" or the CUDA device name).
std::string device_description(const c10::Device& device);

}  // namespace diffbench
