#pragma once
// The engine's one view of OpenMP's thread queries. Built without OpenMP
// (-DMODULELAB_OPENMP=OFF) every `#pragma omp parallel` region runs once, on
// the calling thread, and these answer for that team of one.
#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <thread>

namespace ml::parallel {

// Threads a parallel region started here would get (1 without OpenMP).
inline int maxThreads() {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

// Inside a parallel region: this thread's number and the team's size.
inline int threadNum() {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

inline int teamSize() {
#ifdef _OPENMP
    return omp_get_num_threads();
#else
    return 1;
#endif
}

inline bool inParallel() {
#ifdef _OPENMP
    return omp_in_parallel() != 0;
#else
    return false;
#endif
}

// The cores this process may use.
inline int processors() {
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
#endif
}

// body(begin, end) over [0, n) in one contiguous chunk per thread when n is
// at least minParallel, else in one call on this thread (a parallel region
// costs more than a small pass). For passes whose elements are independent:
// the result does not depend on the split.
template <typename Int, typename Body>
void forChunks(Int n, Int minParallel, Body body) {
    const int threads = n >= minParallel ? maxThreads() : 1;
    if (threads <= 1) {
        body(Int(0), n);
        return;
    }
#pragma omp parallel num_threads(threads)
    {
        const Int t = threadNum(), k = teamSize();
        body(n * t / k, n * (t + 1) / k);
    }
}

// forChunks for the elementwise passes over activations (ReLU, add, a
// gradient's zeroing): from 2^18 elements (1 MB) on, on every thread.
template <typename Int, typename Body>
void forLargePass(Int n, Body body) {
    forChunks(n, Int(1) << 18, body);
}

// requires: n >= 1. Without OpenMP there is nothing to set.
inline void setMaxThreads([[maybe_unused]] int n) {
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
}

} // namespace ml::parallel
