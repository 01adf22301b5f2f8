#pragma once
// One error policy for the engine: anything a user or a file can cause is a
// ml::Error naming what and where; broken internal invariants use ML_ASSERT.
#include <stdexcept>
#include <string>

namespace ml {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

[[noreturn]] void assertFailed(const char* expression, const char* file, int line);

} // namespace ml

#define ML_ASSERT(expr) ((expr) ? (void)0 : ::ml::assertFailed(#expr, __FILE__, __LINE__))
