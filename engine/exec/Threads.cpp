#include "exec/Threads.h"

#include <Eigen/Core>
#include <omp.h>

namespace ml {

void setComputeThreads(int threads) {
    const int n = threads > 0 ? threads : omp_get_num_procs();
    omp_set_num_threads(n);
    // Eigen computes single-threaded products only: kernels::gemm splits
    // large ones over the threads itself.
    Eigen::setNbThreads(1);
}

int computeThreads() { return omp_get_max_threads(); }

} // namespace ml
