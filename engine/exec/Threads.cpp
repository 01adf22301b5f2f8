#include "exec/Threads.h"

#include <omp.h>

namespace ml {

void setComputeThreads(int threads) {
    const int n = threads > 0 ? threads : omp_get_num_procs();
    omp_set_num_threads(n);
}

int computeThreads() { return omp_get_max_threads(); }

} // namespace ml
