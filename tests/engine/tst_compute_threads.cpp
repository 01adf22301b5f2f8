// setComputeThreads makes every thread that computes for the engine flush
// subnormal floats to zero: the calling thread, the OpenMP team it already
// had before the call, and the threads OpenMP starts for a larger team later.
// (Subnormals cost x86 cores a microcode assist per instruction; a trained
// network's gradients reach them.)
#include "core/Parallel.h"
#include "exec/Threads.h"

#include <QTest>

#include <bit>
#include <cfloat>
#include <cstdint>
#include <vector>

using namespace ml;

namespace {

// What this thread makes of arithmetic at the bottom of float's range: a
// subnormal result (FTZ flushes it), and a subnormal input (DAZ reads it as 0).
// As bits: QCOMPARE on floats is fuzzy (anything under 1e-5 equals zero), and
// a thread that flushes reads a subnormal as zero in `==` too.
struct SubnormalArithmetic {
    std::uint32_t product = 1, scaledInput = 1; // float bits
};

std::uint32_t bits(float x) { return std::bit_cast<std::uint32_t>(x); }

SubnormalArithmetic probe() {
    volatile float small = FLT_MIN, half = 0.5f, subnormal = std::bit_cast<float>(bits(FLT_MIN) >> 2), one = 1.0f;
    return {bits(small * half), bits(subnormal * one)};
}

// probe() on each of `threads` team threads.
std::vector<SubnormalArithmetic> probeTeam(int threads) {
    std::vector<SubnormalArithmetic> seen(threads);
#pragma omp parallel num_threads(threads)
    seen[parallel::threadNum()] = probe();
    return seen;
}

} // namespace

class TestComputeThreads : public QObject {
    Q_OBJECT
private slots:
    void subnormalsExistBeforehand() {
        // The default float mode keeps them: what the engine's setting changes.
        const SubnormalArithmetic s = probe();
        QCOMPARE(s.product, bits(FLT_MIN) >> 1);
        QCOMPARE(s.scaledInput, bits(FLT_MIN) >> 2);
        QVERIFY(!flushesSubnormals());
    }

    void everyComputeThreadFlushes() {
#if !defined(__x86_64__) && !defined(__SSE2__)
        QSKIP("only x86's float mode is set");
#endif
#ifndef _OPENMP
        QSKIP("built without OpenMP: there is no team to probe");
#endif
        // A team of two exists before the call, and a larger one is made after.
        QCOMPARE(int(probeTeam(2).size()), 2);
        setComputeThreads(2);
        QVERIFY(flushesSubnormals());
        for (int threads : {2, 3}) {
            const std::vector<SubnormalArithmetic> seen = probeTeam(threads);
            for (int t = 0; t < threads; ++t) {
                QVERIFY2(seen[t].product == 0, qPrintable(QString("thread %1 of %2").arg(t).arg(threads)));
                QVERIFY2(seen[t].scaledInput == 0, qPrintable(QString("thread %1 of %2").arg(t).arg(threads)));
            }
        }
        // Numbers above the subnormal range are untouched.
        volatile float small = FLT_MIN, two = 2.0f;
        QCOMPARE(bits(small * two), bits(2 * FLT_MIN));
    }
};

QTEST_GUILESS_MAIN(TestComputeThreads)
#include "tst_compute_threads.moc"
