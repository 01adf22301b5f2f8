#include "exec/Threads.h"

#include "core/Parallel.h"

#if defined(__x86_64__) || defined(__SSE2__)
#include <xmmintrin.h>
#define MODULELAB_SSE_FLOAT_MODE 1
#endif

namespace ml {

namespace {

// An x86 core takes a microcode assist of about a hundred cycles for each
// instruction that meets a subnormal float (magnitude under 2^-126), and a
// network's small gradients and Adam's second moments drift there as it
// trains: the Fashion-MNIST CNN's steps ran at half speed from step ~700 on.
// Flushing them to zero, as TensorFlow's compute threads do, moves no value
// a float32 training step can tell from zero. Threads inherit the mode from
// the thread that starts them.
#ifdef MODULELAB_SSE_FLOAT_MODE
// MXCSR's flush-to-zero (results) and denormals-are-zero (inputs) bits; every
// x86-64 core has both, pmmintrin.h's names for the second need SSE3 flags.
constexpr unsigned kFlushToZero = 0x8000, kDenormalsAreZero = 0x0040;
#endif

void flushSubnormalsOnThisThread() {
#ifdef MODULELAB_SSE_FLOAT_MODE
    _mm_setcsr(_mm_getcsr() | kFlushToZero | kDenormalsAreZero);
#endif
}

} // namespace

void setComputeThreads(int threads) {
    const int n = threads > 0 ? threads : parallel::processors();
    parallel::setMaxThreads(n);
    flushSubnormalsOnThisThread();
#pragma omp parallel num_threads(n)
    flushSubnormalsOnThisThread();
}

int computeThreads() { return parallel::maxThreads(); }

bool flushesSubnormals() {
#ifdef MODULELAB_SSE_FLOAT_MODE
    const unsigned both = kFlushToZero | kDenormalsAreZero;
    return (_mm_getcsr() & both) == both;
#else
    return false;
#endif
}

} // namespace ml
