#pragma once
// The kernels the engine's speed rests on (GEMM, im2col, the Winograd
// transforms) exist in this program once per instruction set it was built
// for: always the engine's own (AVX2+FMA by default, SSE2 in the portable
// build), and wider copies (AVX-512F/BW/DQ/VL) where the compiler can make
// them. The widest copy the CPU runs is chosen at first use, from what the
// CPU reports (cpuid and the OS's saved vector state), never from the
// environment; every copy computes the same function (the tests compare
// them). engine/kernels/isa/IsaKernels.h says how the copies are kept apart.
#include "kernels/Gemm.h"
#include "kernels/Im2col.h"
#include "kernels/Winograd.h"

#include <string>
#include <vector>

namespace ml::kernels {

// One copy's entry points; the arguments and contracts are those of the
// same-named functions in Gemm.h (gemmSerial: gemm on the calling thread),
// Im2col.h and Winograd.h.
struct KernelTable {
    const char* isa; // "sse2", "avx2" or "avx512": what the copy was compiled for
    void (*gemmSerial)(Trans, Trans, Index m, Index n, Index k, const float* a, Index lda, const float* b, Index ldb,
                       float* c, Index ldc, bool accumulate);
    void (*im2col)(const Im2colShape&, const float* x, float* col);
    void (*col2imAccumulate)(const Im2colShape&, const float* col, float* dx);
    void (*winogradTransformWeights)(const WinogradShape&, const float* weight, float* u);
    void (*winogradWeightGradient)(const WinogradShape&, const float* du, float* dweight);
    void (*winogradTransformInput)(const WinogradShape&, const float* x, float* v, float* rows);
    void (*winogradTransformOutput)(const WinogradShape&, const float* m, const float* bias, float* y, float* rows);
    void (*winogradTransformOutputGradient)(const WinogradShape&, const float* dy, float* dm, float* rows);
    void (*winogradInputGradient)(const WinogradShape&, const float* dv, float* dx, float* rows);
};

// The copy every kernel call goes to: the widest this CPU runs, unless
// selectKernels chose another.
const KernelTable& activeKernels();

// Every copy built into this program, narrowest first, and whether this CPU
// runs it.
struct KernelSet {
    std::string isa;
    bool cpuRuns;
};
std::vector<KernelSet> builtKernelSets();

// Makes `isa` the active copy (for tests and `bench --kernels`); false, and
// nothing changes, when it is not built in or this CPU cannot run it. Not
// to be called while kernels run on other threads.
bool selectKernels(const std::string& isa);

// "avx512 (built: avx2, avx512)": for the CLI's bench and profile output.
std::string kernelsDescription();

} // namespace ml::kernels
