#pragma once
// The kernels the engine's speed rests on (GEMM, im2col, the Winograd
// transforms, the direct convolution) exist in this program once per
// instruction set it was built for: always the engine's own (AVX2+FMA by
// default, SSE2 in the portable build), and wider copies (AVX-512F/BW/DQ/VL)
// where the compiler can make them. The widest copy the CPU runs is chosen at first use, from what the
// CPU reports (cpuid and the OS's saved vector state), never from the
// environment; every copy computes the same function (the tests compare
// them). engine/kernels/isa/IsaKernels.h says how the copies are kept apart.
#include "kernels/DirectConv.h"
#include "kernels/Gemm.h"
#include "kernels/Im2col.h"
#include "kernels/Winograd.h"

#include <string>
#include <vector>

namespace ml::kernels {

// Every kernel a copy provides, as X(name, parameters, arguments): the one
// list from which the table's entries, each copy's declarations
// (kernels/isa/IsaKernels.h) and table (kernels/isa/Table.cpp), and the
// public functions that call the active copy (kernels/KernelTable.cpp) are
// made. The contracts are those of the same-named functions in Gemm.h,
// Im2col.h, Winograd.h and DirectConv.h.
#define ML_KERNELS(X)                                                                                                \
    X(gemmSerial,                                                                                                    \
      (Trans transA, Trans transB, Index m, Index n, Index k, const float* a, Index lda, const float* b, Index ldb, \
       float* c, Index ldc, bool accumulate),                                                                        \
      (transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate))                                                 \
    X(im2col, (const Im2colShape& s, const float* x, float* col), (s, x, col))                                       \
    X(col2imAccumulate, (const Im2colShape& s, const float* col, float* dx), (s, col, dx))                           \
    X(winogradTransformWeights, (const WinogradShape& s, const float* weight, float* u), (s, weight, u))             \
    X(winogradWeightGradient, (const WinogradShape& s, const float* du, float* dweight), (s, du, dweight))           \
    X(winogradTransformInput, (const WinogradShape& s, const float* x, float* v, float* rows), (s, x, v, rows))      \
    X(winogradTransformOutput, (const WinogradShape& s, const float* m, const float* bias, float* y, float* rows),   \
      (s, m, bias, y, rows))                                                                                         \
    X(winogradTransformOutputGradient, (const WinogradShape& s, const float* dy, float* dm, float* rows),            \
      (s, dy, dm, rows))                                                                                             \
    X(winogradInputGradient, (const WinogradShape& s, const float* dv, float* dx, float* rows), (s, dv, dx, rows))  \
    X(directConvForward,                                                                                             \
      (const DirectConvShape& s, Index n, const float* x, const float* weight, const float* bias, float* y,         \
       float* scratch),                                                                                              \
      (s, n, x, weight, bias, y, scratch))                                                                           \
    X(directConvWeightGradient,                                                                                      \
      (const DirectConvShape& s, Index n, const float* x, const float* dy, float* dweight, float* scratch),         \
      (s, n, x, dy, dweight, scratch))

// One copy's entry points.
struct KernelTable {
    const char* isa;  // "sse2", "avx2" or "avx512": what the copy was compiled for
    const char* gemm; // which GEMM kernels gemmSerial runs in this copy, for kernelsDescription
#define ML_KERNEL_ENTRY(name, parameters, arguments) void(*name) parameters;
    ML_KERNELS(ML_KERNEL_ENTRY)
#undef ML_KERNEL_ENTRY
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

// "avx512 (built: avx2, avx512; GEMM: ...)": for the CLI's bench and profile output.
std::string kernelsDescription();

} // namespace ml::kernels
