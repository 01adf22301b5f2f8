// The copies of the kernels built for each instruction set
// (kernels/KernelTable.h): the widest one the CPU runs is active, as
// /proc/cpuinfo says independently; each copy computes what the engine's own
// copy computes (GEMM to float rounding, data movement exactly); selecting
// a copy the CPU or the build lacks changes nothing; and a whole
// convolution step through the ops gives the same result with every copy.
#include "ConvMethodTag.h"
#include "core/Random.h"
#include "kernels/KernelTable.h"
#include "ops/Conv2d.h"

#include <QTest>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

using ml::Index;
using namespace ml::kernels;

namespace {

using Floats = std::vector<float>;

Floats randomFloats(Index n, uint64_t seed) {
    Floats v(static_cast<size_t>(n));
    ml::Random rng(seed);
    rng.fillNormal(v.data(), n, 0.0f, 1.0f);
    return v;
}

// The largest |a - b| relative to the largest |b| (1 when b is all zero and a is not).
double relativeError(const Floats& a, const Floats& b) {
    double diff = 0, scale = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, double(std::abs(a[i] - b[i])));
        scale = std::max(scale, double(std::abs(b[i])));
    }
    return scale == 0 ? (diff == 0 ? 0 : 1) : diff / scale;
}

// The instruction-set flags of the first CPU in /proc/cpuinfo.
std::set<std::string> cpuFlags() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("flags", 0) == 0) {
            std::istringstream words(line.substr(line.find(':') + 1));
            std::set<std::string> flags;
            for (std::string w; words >> w;) flags.insert(w);
            return flags;
        }
    return {};
}

// The copies other than the engine's own that this CPU runs.
std::vector<std::string> widerRunnableSets() {
    std::vector<std::string> sets;
    const auto built = builtKernelSets();
    for (size_t i = 1; i < built.size(); ++i)
        if (built[i].cpuRuns) sets.push_back(built[i].isa);
    return sets;
}

// Runs f once with the engine's own copy and once with `isa`, restoring the active copy after.
template <typename F>
auto withBaseAnd(const std::string& isa, F f) {
    const std::string active = activeKernels().isa;
    if (!selectKernels(builtKernelSets().front().isa)) qFatal("the engine's own copy must always be selectable");
    const auto base = f();
    if (!selectKernels(isa)) qFatal("%s is listed as runnable but cannot be selected", isa.c_str());
    const auto wide = f();
    if (!selectKernels(active)) qFatal("the active copy %s cannot be selected again", active.c_str());
    return std::make_pair(base, wide);
}

} // namespace

Q_DECLARE_METATYPE(ml::ops::Conv2dGeometry)
Q_DECLARE_METATYPE(ml::kernels::WinogradShape)

class TestKernelSets : public QObject {
    Q_OBJECT

private slots:
    void widestRunnableCopyIsActive() {
        const auto built = builtKernelSets();
        QVERIFY(!built.empty());
        QVERIFY(built.front().cpuRuns);
        std::vector<std::string> names;
        for (const KernelSet& k : built) names.push_back(k.isa);
#ifdef __AVX2__
        // The default build: AVX2 for the engine itself and an AVX-512 copy.
        const std::vector<std::string> expected{"avx2", "avx512"};
#else
        // The portable build (MODULELAB_AVX2=OFF): SSE2 itself, AVX2 and AVX-512 copies.
        const std::vector<std::string> expected{"sse2", "avx2", "avx512"};
#endif
        QCOMPARE(names, expected);
        const std::set<std::string> flags = cpuFlags();
        QVERIFY2(!flags.empty(), "no flags line in /proc/cpuinfo");
        const bool avx2 = flags.count("avx2") && flags.count("fma");
        const bool avx512 = avx2 && flags.count("avx512f") && flags.count("avx512bw") && flags.count("avx512dq") &&
                            flags.count("avx512vl");
        QCOMPARE(built.back().cpuRuns, avx512);
        const std::string widest = avx512 ? "avx512" : avx2 ? "avx2" : "sse2";
        QCOMPARE(std::string(activeKernels().isa), widest);
        std::string list;
        for (const std::string& n : expected) list += (list.empty() ? "" : ", ") + n;
        // Only the AVX-512 copy has its own packed GEMM.
        const std::string gemm = activeKernels().gemm;
        QCOMPARE(gemm.rfind("own packed 14x32", 0) == 0, avx512);
        QCOMPARE(kernelsDescription(), widest + " (built: " + list + "; GEMM: " + gemm + ")");
    }

    void selectingAnUnavailableCopyChangesNothing() {
        const std::string before = activeKernels().isa;
        QVERIFY(!selectKernels("sse9"));
        QVERIFY(!selectKernels(""));
        QCOMPARE(std::string(activeKernels().isa), before);
        if (!builtKernelSets().back().cpuRuns) {
            QVERIFY(!selectKernels("avx512"));
            QCOMPARE(std::string(activeKernels().isa), before);
        }
    }

    void gemmMatchesTheEngineCopy_data() {
        QTest::addColumn<int>("transA");
        QTest::addColumn<int>("transB");
        QTest::addColumn<int>("m");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("k");
        QTest::addColumn<bool>("accumulate");
        // Odd sizes leave remainders past every packet width (4, 8, 16) and register block.
        QTest::newRow("NN 1x1x1") << 0 << 0 << 1 << 1 << 1 << false;
        QTest::newRow("NN 37x53x29") << 0 << 0 << 37 << 53 << 29 << false;
        QTest::newRow("NT 64x10x5 +=") << 0 << 1 << 64 << 10 << 5 << true;
        QTest::newRow("TN 129x65x300") << 1 << 0 << 129 << 65 << 300 << false;
        QTest::newRow("TT 17x255x33 +=") << 1 << 1 << 17 << 255 << 33 << true;
        QTest::newRow("NN 256x256x576") << 0 << 0 << 256 << 256 << 576 << false;
        QTest::newRow("NN k = 0") << 0 << 0 << 9 << 7 << 0 << false;
        // The AVX-512 copy's packed kernel (kernels/isa/PackedGemm.cpp): rows in blocks of up to 14
        // (47 = 11 + 12 + 12 + 12, 28 = 14 + 14), columns in panels of 32 (a last one of 1, 12, 13, 15
        // or 31; it takes products at least 20 columns wide, so 21 is one part-filled panel), depth in
        // blocks of 256 (600 = 256 + 256 + 88, so later blocks add to C), columns in blocks of 1024
        // (1100 = 1024 + 76), each transpose packed its own way.
        QTest::newRow("packed NN 13x1100x600 +=") << 0 << 0 << 13 << 1100 << 600 << true;
        QTest::newRow("packed NN 47x63x300") << 0 << 0 << 47 << 63 << 300 << false;
        QTest::newRow("packed NT 47x33x600") << 0 << 1 << 47 << 33 << 600 << false;
        QTest::newRow("packed NT 28x1100x40 +=") << 0 << 1 << 28 << 1100 << 40 << true;
        QTest::newRow("packed TN 31x47x520 +=") << 1 << 0 << 31 << 47 << 520 << true;
        QTest::newRow("packed TN 33x1100x17") << 1 << 0 << 33 << 1100 << 17 << false;
        QTest::newRow("packed TT 33x45x600") << 1 << 1 << 33 << 45 << 600 << false;
        QTest::newRow("packed TT 14x47x300 +=") << 1 << 1 << 14 << 47 << 300 << true;
        QTest::newRow("packed NN 1x1100x64") << 0 << 0 << 1 << 1100 << 64 << false;
        QTest::newRow("packed NT 29x21x70 +=") << 0 << 1 << 29 << 21 << 70 << true;
        // The Winograd convolution's per-point products (64 channels, 256 tiles).
        QTest::newRow("winograd NN 64x256x64") << 0 << 0 << 64 << 256 << 64 << false;
        QTest::newRow("winograd TN 64x256x64") << 1 << 0 << 64 << 256 << 64 << false;
        QTest::newRow("winograd NT 64x64x256 +=") << 0 << 1 << 64 << 64 << 256 << true;
        // Small products take plain loops: rows of C up to 16 wide in registers, wider ones by saxpy.
        QTest::newRow("small TN 5x10x64 +=") << 1 << 0 << 5 << 10 << 64 << true;
        QTest::newRow("small TT 3x16x5") << 1 << 1 << 3 << 16 << 5 << false;
        QTest::newRow("small NT 20x17x40") << 0 << 1 << 20 << 17 << 40 << false;
        QTest::newRow("small NN 31x31x31 +=") << 0 << 0 << 31 << 31 << 31 << true;
    }

    void gemmMatchesTheEngineCopy() {
        QFETCH(int, transA);
        QFETCH(int, transB);
        QFETCH(int, m);
        QFETCH(int, n);
        QFETCH(int, k);
        QFETCH(bool, accumulate);
        const Trans ta = transA ? Trans::Yes : Trans::No, tb = transB ? Trans::Yes : Trans::No;
        // Leading dimensions wider than the matrices: strides must be honoured.
        const Index lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 5, ldc = n + 2;
        const Floats a = randomFloats((transA ? k : m) * lda, 1), b = randomFloats((transB ? n : k) * ldb, 2);
        const Floats c0 = randomFloats(m * ldc, 3);
        for (const std::string& isa : widerRunnableSets()) {
            const auto [base, wide] = withBaseAnd(isa, [&] {
                Floats c = c0;
                gemm(ta, tb, m, n, k, a.data(), lda, b.data(), ldb, c.data(), ldc, accumulate);
                return c;
            });
            QVERIFY2(relativeError(wide, base) < 1e-5, (isa + ": " + std::to_string(relativeError(wide, base))).c_str());
            // The padding columns of C are never written.
            for (Index r = 0; r < m; ++r)
                for (Index col = n; col < ldc; ++col) QCOMPARE(wide[size_t(r * ldc + col)], c0[size_t(r * ldc + col)]);
        }
        // Against a plain triple loop in double, for the active copy.
        Floats c = c0;
        gemm(ta, tb, m, n, k, a.data(), lda, b.data(), ldb, c.data(), ldc, accumulate);
        for (Index i = 0; i < m; ++i)
            for (Index j = 0; j < n; ++j) {
                double sum = accumulate ? c0[size_t(i * ldc + j)] : 0.0;
                for (Index p = 0; p < k; ++p)
                    sum += double(a[size_t(transA ? p * lda + i : i * lda + p)]) *
                           b[size_t(transB ? j * ldb + p : p * ldb + j)];
                QVERIFY2(std::abs(c[size_t(i * ldc + j)] - sum) <= 1e-4 * (1 + std::abs(sum)),
                         ("C[" + std::to_string(i) + ", " + std::to_string(j) + "]").c_str());
            }
    }

    void im2colIsExactInEveryCopy() {
        // Stride 2, padding (1, 2), dilation (2, 1): every branch of the copy loops.
        const Im2colShape s{3, 9, 11, 3, 2, 2, 1, 1, 2, 2, 1, 4, 14};
        const Floats x = randomFloats(s.c * s.h * s.w, 4), col = randomFloats(s.rows() * s.cols(), 5);
        const Floats dx0 = randomFloats(s.c * s.h * s.w, 6);
        for (const std::string& isa : widerRunnableSets()) {
            const auto [base, wide] = withBaseAnd(isa, [&] {
                Floats out(static_cast<size_t>(s.rows() * s.cols()), -1.0f), dx = dx0;
                im2col(s, x.data(), out.data());
                col2imAccumulate(s, col.data(), dx.data());
                return std::make_pair(out, dx);
            });
            QVERIFY(wide.first == base.first);
            QVERIFY2(relativeError(wide.second, base.second) < 1e-6, isa.c_str());
        }
    }

    void winogradTransformsMatchTheEngineCopy_data() {
        QTest::addColumn<WinogradShape>("s");
        // {cin, cout, h, w, padH, padW, outH, outW}
        // The AVX-512 copy takes a row of tiles 16 at a time: rows of 5, 7 and 8
        // leave most of a vector's lanes masked off, odd output sizes cut the
        // last column or row of tiles, a row of 18 is one vector and part of
        // another, pad (2, 0) reads whole padding rows and no padding columns.
        QTest::newRow("5 x 7 tiles, odd width") << WinogradShape{16, 24, 13, 10, 1, 1, 13, 10};
        QTest::newRow("7 x 7 tiles (Fashion-MNIST)") << WinogradShape{16, 32, 14, 14, 1, 1, 14, 14};
        QTest::newRow("8 x 8 tiles, odd height") << WinogradShape{8, 8, 15, 16, 1, 1, 15, 16};
        QTest::newRow("18 x 6 tiles, pad (2, 0)") << WinogradShape{8, 8, 9, 37, 2, 0, 11, 35};
        QTest::newRow("16 x 16 tiles (ResNet)") << WinogradShape{8, 16, 32, 32, 1, 1, 32, 32};
    }

    void winogradTransformsMatchTheEngineCopy() {
        QFETCH(WinogradShape, s);
        const Floats weight = randomFloats(s.cout * s.cin * 9, 7), x = randomFloats(s.cin * s.h * s.w, 8);
        const Floats m = randomFloats(s.transformedOutputSize(), 9);
        const Floats bias = randomFloats(s.cout, 10), dy = randomFloats(s.cout * s.outH * s.outW, 11);
        for (const std::string& isa : widerRunnableSets()) {
            const auto [base, wide] = withBaseAnd(isa, [&] {
                Floats rows(static_cast<size_t>(s.transformScratch()));
                std::vector<Floats> out;
                Floats u(static_cast<size_t>(kWinogradPoints * s.cout * s.cin));
                winogradTransformWeights(s, weight.data(), u.data());
                out.push_back(u);
                Floats dweight(weight.size(), 0.5f);
                winogradWeightGradient(s, u.data(), dweight.data());
                out.push_back(dweight);
                Floats v(static_cast<size_t>(s.transformedInputSize()));
                winogradTransformInput(s, x.data(), v.data(), rows.data());
                out.push_back(v);
                Floats y(dy.size());
                winogradTransformOutput(s, m.data(), bias.data(), y.data(), rows.data());
                out.push_back(y);
                Floats dm(m.size());
                winogradTransformOutputGradient(s, dy.data(), dm.data(), rows.data());
                out.push_back(dm);
                Floats dx(x.size(), 0.25f);
                winogradInputGradient(s, v.data(), dx.data(), rows.data());
                out.push_back(dx);
                return out;
            });
            for (size_t i = 0; i < base.size(); ++i)
                QVERIFY2(relativeError(wide[i], base[i]) < 1e-6, (isa + ", transform " + std::to_string(i)).c_str());
        }
    }

    // Winograd, im2col and direct convolutions, forward and backward, through the ops.
    void convolutionStepMatchesTheEngineCopy_data() {
        QTest::addColumn<ml::ops::Conv2dGeometry>("g");
        QTest::newRow("winograd 3x3") << ml::ops::Conv2dGeometry{4, 16, 10, 10, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1};
        QTest::newRow("im2col 5x5 stride 2") << ml::ops::Conv2dGeometry{3, 3, 17, 15, 8, 5, 5, 2, 2, 2, 2, 1, 1, 1};
        QTest::newRow("direct 3x3 from 3 channels") << ml::ops::Conv2dGeometry{3, 3, 12, 37, 19, 3, 3, 1, 1, 1, 1, 1, 1, 1};
    }

    void convolutionStepMatchesTheEngineCopy() {
        QFETCH(ml::ops::Conv2dGeometry, g);
        QCOMPARE(ml::ops::conv2dMethod(g), conv2dMethodNamedBy(QTest::currentDataTag()));
        const Floats x = randomFloats(g.n * g.cin * g.h * g.w, 12), w = randomFloats(g.weightSize(), 13);
        const Floats bias = randomFloats(g.cout, 14), dy = randomFloats(g.n * g.cout * g.outH() * g.outW(), 15);
        for (const std::string& isa : widerRunnableSets()) {
            const auto [base, wide] = withBaseAnd(isa, [&] {
                Floats scratch(static_cast<size_t>(ml::ops::conv2dScratchSize(g, 1)));
                Floats y(dy.size()), dx(x.size(), 0.0f), dw(w.size(), 0.0f), db(bias.size(), 0.0f);
                ml::ops::conv2dForward(g, x.data(), w.data(), bias.data(), y.data(), scratch.data(),
                                       Index(scratch.size()));
                ml::ops::conv2dBackward(g, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data(),
                                        scratch.data(), Index(scratch.size()));
                return std::vector<Floats>{y, dx, dw, db};
            });
            for (size_t i = 0; i < base.size(); ++i)
                QVERIFY2(relativeError(wide[i], base[i]) < 1e-5, (isa + ", tensor " + std::to_string(i)).c_str());
        }
    }
};

QTEST_APPLESS_MAIN(TestKernelSets)
#include "tst_kernel_sets.moc"
