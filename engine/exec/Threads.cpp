#include "exec/Threads.h"

#include "core/Parallel.h"

namespace ml {

void setComputeThreads(int threads) {
    const int n = threads > 0 ? threads : parallel::processors();
    parallel::setMaxThreads(n);
}

int computeThreads() { return parallel::maxThreads(); }

} // namespace ml
