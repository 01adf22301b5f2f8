#pragma once
// One place that sets how the engine's compute threads run: how many cores
// the OpenMP loops in the ops and kernels::gemm's slabs use (kernels::gemm
// keeps Eigen to one thread), and their float mode. OpenMP's setting is per
// calling thread, so a training thread calls this itself.
namespace ml {
// Also flushes subnormal floats to zero (x86's FTZ and DAZ) on the calling
// thread, the team OpenMP already has for it and the threads it starts later.
void setComputeThreads(int threads); // 0: all cores
int computeThreads();
// Whether the calling thread flushes subnormals (false where the build has no
// control over it: only x86's SSE float mode is set).
bool flushesSubnormals();
} // namespace ml
