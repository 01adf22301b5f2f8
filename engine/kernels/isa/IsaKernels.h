#pragma once
// The kernels under engine/kernels/isa are compiled more than once: into the
// engine with its own flags (namespace ml::kernels::base), and again for
// each wider instruction set the build adds (-DML_KERNEL_ISA=avx512 and the
// flags of that set, namespace ml::kernels::avx512). Each copy fills one
// KernelTable; kernels/KernelTable.cpp picks the widest the CPU runs.
//
// A wider copy is linked as one relocatable object whose only global symbol
// is its table (engine/CMakeLists.txt), so none of the inline functions and
// templates it instantiates (Eigen's GEMM, std::fill) can be merged with the
// engine's own copies of them: no AVX-512 code runs where the table was not
// chosen, and no Eigen object crosses between copies (only raw pointers do).
#include "kernels/KernelTable.h"

#ifndef ML_KERNEL_ISA
#define ML_KERNEL_ISA base
#endif

namespace ml::kernels::ML_KERNEL_ISA {

// Which GEMM kernels this copy's gemmSerial runs (kernels/isa/GemmSerial.cpp).
extern const char kGemmKernels[];

#define ML_KERNEL_DECLARATION(name, parameters, arguments) void name parameters;
ML_KERNELS(ML_KERNEL_DECLARATION)
#undef ML_KERNEL_DECLARATION

} // namespace ml::kernels::ML_KERNEL_ISA
