#pragma once
// One place that sets how many cores the engine uses: OpenMP loops in the
// ops and kernels::gemm's slabs (kernels::gemm keeps Eigen to one thread). OpenMP's setting is per calling thread, so a
// training thread calls this itself.
namespace ml {
void setComputeThreads(int threads); // 0: all cores
int computeThreads();
} // namespace ml
