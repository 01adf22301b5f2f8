#pragma once
// Lane masks for the AVX-512 kernels: which of a vector's 16 floats a
// partial load or store touches.
#if defined(__AVX512F__)

#include "kernels/isa/IsaKernels.h"

#include <immintrin.h>

#include <algorithm>

namespace ml::kernels::ML_KERNEL_ISA {

// The first `count` of 16 lanes (none for count <= 0).
inline __mmask16 lanes(Index count) {
    return count <= 0 ? __mmask16(0) : count >= 16 ? __mmask16(0xffff) : __mmask16((1u << count) - 1);
}

// The lanes l of 16 floats from `first` on with lo <= first + l < hi.
inline __mmask16 lanesWithin(Index first, Index lo, Index hi) {
    return __mmask16(lanes(hi - first) & ~lanes(lo - first));
}

} // namespace ml::kernels::ML_KERNEL_ISA

#endif
