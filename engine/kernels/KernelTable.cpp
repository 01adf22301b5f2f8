#include "kernels/KernelTable.h"

#include <atomic>

// Each copy's table (kernels/isa/Table.cpp); the wider ones exist when
// engine/CMakeLists.txt built them.
extern "C" const ml::kernels::KernelTable ml_kernel_table_base;
#ifdef MODULELAB_KERNELS_AVX2
extern "C" const ml::kernels::KernelTable ml_kernel_table_avx2;
#endif
#ifdef MODULELAB_KERNELS_AVX512
extern "C" const ml::kernels::KernelTable ml_kernel_table_avx512;
#endif

namespace ml::kernels {

namespace {

// __builtin_cpu_supports checks cpuid and that the OS saves the registers
// (XCR0), so a CPU whose OS disabled AVX-512 is not offered its copy.
bool cpuRuns(const std::string& isa) {
    __builtin_cpu_init();
    if (isa == "sse2") return true;
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (isa == "avx2") return avx2;
    if (isa == "avx512")
        return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    return false;
}

// Narrowest first; the engine's own copy always runs (the program was built for it).
std::vector<const KernelTable*> builtTables() {
    return {
        &ml_kernel_table_base,
#ifdef MODULELAB_KERNELS_AVX2
        &ml_kernel_table_avx2,
#endif
#ifdef MODULELAB_KERNELS_AVX512
        &ml_kernel_table_avx512,
#endif
    };
}

const KernelTable* widestRunnable() {
    const KernelTable* best = &ml_kernel_table_base;
    for (const KernelTable* t : builtTables())
        if (cpuRuns(t->isa)) best = t;
    return best;
}

std::atomic<const KernelTable*> g_active{nullptr};

} // namespace

const KernelTable& activeKernels() {
    const KernelTable* t = g_active.load(std::memory_order_acquire);
    if (!t) {
        t = widestRunnable();
        g_active.store(t, std::memory_order_release);
    }
    return *t;
}

std::vector<KernelSet> builtKernelSets() {
    std::vector<KernelSet> sets;
    for (const KernelTable* t : builtTables()) sets.push_back({t->isa, t == &ml_kernel_table_base || cpuRuns(t->isa)});
    return sets;
}

bool selectKernels(const std::string& isa) {
    for (const KernelTable* t : builtTables())
        if (t->isa == isa && (t == &ml_kernel_table_base || cpuRuns(isa))) {
            g_active.store(t, std::memory_order_release);
            return true;
        }
    return false;
}

std::string kernelsDescription() {
    std::string built;
    for (const KernelSet& s : builtKernelSets()) built += (built.empty() ? "" : ", ") + s.isa;
    return std::string(activeKernels().isa) + " (built: " + built + "; GEMM: " + activeKernels().gemm + ")";
}

// The public entry points of Gemm.h (gemmSerial), Im2col.h, Winograd.h and
// DirectConv.h go to the active copy.
#define ML_KERNEL_CALL(name, parameters, arguments) \
    void name parameters { activeKernels().name arguments; }
ML_KERNELS(ML_KERNEL_CALL)
#undef ML_KERNEL_CALL

} // namespace ml::kernels
