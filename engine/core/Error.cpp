#include "core/Error.h"

#include <cstdio>
#include <cstdlib>

namespace ml {

void assertFailed(const char* expression, const char* file, int line) {
    std::fprintf(stderr, "modulelab: internal invariant broken: %s (%s:%d)\n", expression, file, line);
    std::abort();
}

} // namespace ml
