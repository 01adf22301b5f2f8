// This copy's KernelTable, under a C name that says which copy it is
// (ml_kernel_table_base, ml_kernel_table_avx512): the one symbol a wider
// copy exports.
#include "kernels/isa/IsaKernels.h"

#define ML_KERNEL_CONCAT2(a, b) a##b
#define ML_KERNEL_CONCAT(a, b) ML_KERNEL_CONCAT2(a, b)
#define ML_KERNEL_TABLE ML_KERNEL_CONCAT(ml_kernel_table_, ML_KERNEL_ISA)

// What this copy was compiled for, from the compiler's own macros.
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__AVX512VL__)
#define ML_KERNEL_ISA_NAME "avx512"
#elif defined(__AVX2__) && defined(__FMA__)
#define ML_KERNEL_ISA_NAME "avx2"
#else
#define ML_KERNEL_ISA_NAME "sse2"
#endif

namespace isa = ml::kernels::ML_KERNEL_ISA;

#define ML_KERNEL_POINTER(name, parameters, arguments) isa::name,
extern "C" const ml::kernels::KernelTable ML_KERNEL_TABLE = {ML_KERNEL_ISA_NAME, isa::kGemmKernels,
                                                            ML_KERNELS(ML_KERNEL_POINTER)};
#undef ML_KERNEL_POINTER
