#include "ops/Conv2d.h"

#include "core/Error.h"
#include "core/Parallel.h"
#include "kernels/DirectConv.h"
#include "kernels/Gemm.h"
#include "kernels/Im2col.h"
#include "kernels/Winograd.h"

#include <Eigen/Core>

#include <algorithm>

namespace ml::ops {

using kernels::Trans;

std::string Conv2dGeometry::problem() const {
    auto s = [](Index v) { return std::to_string(v); };
    if (cin < 1 || cout < 1 || h < 1 || w < 1) return "input and output channels and the input size must be positive";
    if (kh < 1 || kw < 1) return "kernel_size must be positive, got (" + s(kh) + ", " + s(kw) + ")";
    if (strideH < 1 || strideW < 1) return "stride must be positive, got (" + s(strideH) + ", " + s(strideW) + ")";
    if (dilH < 1 || dilW < 1) return "dilation must be positive, got (" + s(dilH) + ", " + s(dilW) + ")";
    if (padH < 0 || padW < 0) return "padding must be non-negative, got (" + s(padH) + ", " + s(padW) + ")";
    if (groups < 1) return "groups must be positive, got " + s(groups);
    if (cin % groups != 0) return "in_channels " + s(cin) + " is not divisible by groups " + s(groups);
    if (cout % groups != 0) return "out_channels " + s(cout) + " is not divisible by groups " + s(groups);
    if (outH() < 1 || outW() < 1)
        return "input size (" + s(h) + " x " + s(w) + ") with padding (" + s(padH) + ", " + s(padW) +
               ") is smaller than the dilated kernel (" + s(dilH * (kh - 1) + 1) + " x " + s(dilW * (kw - 1) + 1) +
               "): the output would be empty";
    return {};
}

namespace {

// Below this many channels in or out, Winograd's 16 small GEMMs per sample
// lose to one im2col GEMM (a stem convolution from 3 channels, say).
constexpr Index kWinogradMinChannels = 8;

// How a geometry is computed, and the scratch it needs. Scratch layout:
// [shared | thread 0 | thread 1 | ...]. im2col: no shared part; per thread
// a column matrix (colSize) and, with several threads, a dweight and a
// dbias partial. Direct: as im2col, colSize also holding the direct
// kernels' scratch (the input gradient still goes through a column matrix).
// Winograd: the transformed weights shared (kernelSize); per thread the
// transformed input (colSize), the transformed output, a transformed
// dweight partial, the transforms' row buffers and a dbias partial.
struct Plan {
    kernels::Im2colShape shape;
    kernels::WinogradShape winogradShape;
    kernels::DirectConvShape directShape;
    Index ohw, cinG, coutG, kG; // kG = cinG*kh*kw: the GEMM's inner size per group
    bool pointwise;             // 1x1, stride 1, no padding: the input is its own column matrix
    bool winograd;              // 3x3, stride 1, undilated, ungrouped, enough channels
    bool direct;                // few taps, stride 1 along the width, ungrouped (kernels/DirectConv.h)
    Index sharedSize, colSize, outSize, kernelSize, biasSize, perThread;
    int threads;
};

Plan makePlan(const Conv2dGeometry& g) {
    Plan p;
    p.shape = {g.cin, g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.dilH, g.dilW, g.outH(), g.outW()};
    p.winogradShape = {g.cin, g.cout, g.h, g.w, g.padH, g.padW, g.outH(), g.outW()};
    p.ohw = p.shape.cols();
    p.cinG = g.cin / g.groups;
    p.coutG = g.cout / g.groups;
    p.kG = p.cinG * g.kh * g.kw;
    p.directShape = {p.shape, g.cout};
    p.pointwise = g.kh == 1 && g.kw == 1 && g.strideH == 1 && g.strideW == 1 && g.padH == 0 && g.padW == 0;
    // Profitable when the 16 multiplications per 2x2 tile clearly undercut
    // direct's 9 per output: even sizes give 16/36, but a 1x1 output pays
    // 16 for 9 and a 3x3 one 64 for 81 (cut tiles at the edge).
    p.winograd = g.kh == 3 && g.kw == 3 && g.strideH == 1 && g.strideW == 1 && g.dilH == 1 && g.dilW == 1 &&
                 g.groups == 1 && g.cin >= kWinogradMinChannels && g.cout >= kWinogradMinChannels &&
                 10 * kernels::kWinogradPoints * p.winogradShape.tiles() <= 6 * 9 * p.ohw;
    // A row of at least 8 outputs fills most of a vector block.
    p.direct = !p.winograd && g.groups == 1 && g.strideW == 1 && g.kh * g.kw > 1 &&
               p.kG <= kernels::kDirectConvMaxTaps && g.outW() >= 8;
    if (p.winograd) {
        p.kernelSize = kernels::kWinogradPoints * g.cout * g.cin;
        p.sharedSize = p.kernelSize;
        p.colSize = p.winogradShape.transformedInputSize();
        p.outSize = p.winogradShape.transformedOutputSize();
        p.biasSize = g.cout;
        p.perThread = p.colSize + p.outSize + p.kernelSize + p.winogradShape.transformScratch() + p.biasSize;
    } else {
        p.kernelSize = g.weightSize();
        p.sharedSize = 0;
        p.colSize = p.pointwise ? 0 : p.shape.rows() * p.ohw;
        if (p.direct) p.colSize = std::max(p.colSize, p.directShape.scratchSize());
        p.outSize = 0;
        p.biasSize = g.cout;
        p.perThread = p.colSize + p.kernelSize + p.biasSize;
    }
    p.threads = 1;
    return p;
}

// The smallest scratch that runs on one thread.
Index oneThreadScratch(const Plan& p) { return p.winograd ? p.sharedSize + p.perThread : p.colSize; }

// Threads the batch can be split over: bounded by the scratch the caller gave,
// the batch, and a minimum of work per parallel region.
void chooseThreads(const Conv2dGeometry& g, Plan& p, Index scratchSize) {
    ML_ASSERT(scratchSize >= oneThreadScratch(p));
    const double flops = 2.0 * double(g.n) * double(g.cout) * double(p.kG) * double(p.ohw);
    Index t = std::min<Index>(parallel::maxThreads(), g.n);
    if (flops < 4.0e6) t = 1;
    while (t > 1 && p.sharedSize + t * p.perThread > scratchSize) --t;
    p.threads = int(std::max<Index>(t, 1));
}

// Runs body(thread, begin, end) over contiguous chunks of the batch and
// returns how many threads ran: OpenMP may give fewer than asked for
// (OMP_THREAD_LIMIT, OMP_DYNAMIC, a nested region), so the split and the
// reductions after it follow the team that actually ran.
template <typename Body>
int forSamples(const Conv2dGeometry& g, const Plan& p, Body body) {
    if (p.threads <= 1) {
        body(0, Index(0), g.n);
        return 1;
    }
    int ran = 1;
#pragma omp parallel num_threads(p.threads)
    {
        const int t = parallel::threadNum(), count = parallel::teamSize();
        if (t == 0) ran = count;
        // Contiguous static chunks: the same split for the same thread count.
        body(t, g.n * t / count, g.n * (t + 1) / count);
    }
    return ran;
}

} // namespace

Conv2dMethod conv2dMethod(const Conv2dGeometry& g) {
    const Plan p = makePlan(g);
    return p.winograd ? Conv2dMethod::Winograd : p.direct ? Conv2dMethod::Direct : Conv2dMethod::Im2col;
}

Index conv2dScratchSize(const Conv2dGeometry& g, int threads) {
    const Plan p = makePlan(g);
    return threads <= 1 ? oneThreadScratch(p) : p.sharedSize + Index(threads) * p.perThread;
}

namespace {

// Scratch of thread t.
float* threadScratch(const Plan& p, float* scratch, int t) { return scratch + p.sharedSize + Index(t) * p.perThread; }

// Thread t's partial bias gradient: the last cout floats of its scratch.
float* biasPartial(const Plan& p, float* scratch, int t) { return threadScratch(p, scratch, t + 1) - p.biasSize; }

void winogradForward(const Conv2dGeometry& g, const Plan& p, const float* x, const float* weight, const float* bias,
                     float* y, float* scratch) {
    const kernels::WinogradShape& ws = p.winogradShape;
    const Index tiles = ws.tiles(), vStride = ws.inputPointStride(), mStride = ws.outputPointStride();
    float* u = scratch;
    kernels::winogradTransformWeights(ws, weight, u);
    const Index inSize = g.cin * g.h * g.w;
    const Index outSize = g.cout * p.ohw;
    forSamples(g, p, [&](int t, Index begin, Index end) {
        float* v = threadScratch(p, scratch, t);
        float* m = v + p.colSize;
        float* rows = m + p.outSize + p.kernelSize;
        for (Index s = begin; s < end; ++s) {
            kernels::winogradTransformInput(ws, x + s * inSize, v, rows);
            for (Index k = 0; k < kernels::kWinogradPoints; ++k) {
                kernels::gemm(Trans::No, Trans::No, g.cout, tiles, g.cin, u + k * g.cout * g.cin, g.cin,
                              v + k * vStride, tiles, m + k * mStride, tiles, false);
            }
            kernels::winogradTransformOutput(ws, m, bias, y + s * outSize, rows);
        }
    });
}

void winogradBackward(const Conv2dGeometry& g, const Plan& p, const float* x, const float* weight, const float* dy,
                      float* dx, float* dweight, float* scratch) {
    const kernels::WinogradShape& ws = p.winogradShape;
    const Index tiles = ws.tiles(), vStride = ws.inputPointStride(), mStride = ws.outputPointStride();
    float* u = scratch;
    if (dx) kernels::winogradTransformWeights(ws, weight, u);
    const Index inSize = g.cin * g.h * g.w;
    const Index dySize = g.cout * p.ohw;
    const int ran = forSamples(g, p, [&](int t, Index begin, Index end) {
        float* v = threadScratch(p, scratch, t);
        float* dm = v + p.colSize;
        float* du = dm + p.outSize;
        float* rows = du + p.kernelSize;
        if (dweight) std::fill(du, du + p.kernelSize, 0.0f);
        for (Index s = begin; s < end; ++s) {
            kernels::winogradTransformOutputGradient(ws, dy + s * dySize, dm, rows);
            // The transformed input again: computing it costs less than keeping the
            // forward's (about 4x the input, written to and read back from memory).
            if (dweight) kernels::winogradTransformInput(ws, x + s * inSize, v, rows);
            for (Index k = 0; k < kernels::kWinogradPoints; ++k) {
                const float* dmk = dm + k * mStride;
                float* vk = v + k * vStride;
                if (dweight) {
                    kernels::gemm(Trans::No, Trans::Yes, g.cout, g.cin, tiles, dmk, tiles, vk,
                                  tiles, du + k * g.cout * g.cin, g.cin, true);
                }
                // The transformed input of point k is used up: v takes the input gradient.
                if (dx) {
                    kernels::gemm(Trans::Yes, Trans::No, g.cin, tiles, g.cout, u + k * g.cout * g.cin, g.cin, dmk,
                                  tiles, vk, tiles, false);
                }
            }
            if (dx) kernels::winogradInputGradient(ws, v, dx + s * inSize, rows);
        }
    });
    if (!dweight) return;
    // Per-thread partials summed in thread order (repeatable), then transformed back once.
    float* total = threadScratch(p, scratch, 0) + p.colSize + p.outSize;
    for (int t = 1; t < ran; ++t) {
        const float* part = threadScratch(p, scratch, t) + p.colSize + p.outSize;
        for (Index i = 0; i < p.kernelSize; ++i) total[i] += part[i];
    }
    kernels::winogradWeightGradient(ws, total, dweight);
}

} // namespace

void conv2dForward(const Conv2dGeometry& g, const float* x, const float* weight, const float* bias, float* y,
                   float* scratch, Index scratchSize) {
    Plan p = makePlan(g);
    chooseThreads(g, p, scratchSize);
    if (p.winograd) {
        winogradForward(g, p, x, weight, bias, y, scratch);
        return;
    }
    const Index inSize = g.cin * g.h * g.w;
    const Index outSize = g.cout * p.ohw;
    forSamples(g, p, [&](int t, Index begin, Index end) {
        float* col = threadScratch(p, scratch, t);
        if (p.direct) {
            kernels::directConvForward(p.directShape, end - begin, x + begin * inSize, weight, bias,
                                       y + begin * outSize, col);
            return;
        }
        for (Index s = begin; s < end; ++s) {
            const float* xs = x + s * inSize;
            float* ys = y + s * outSize;
            const float* cols = xs;
            if (!p.pointwise) {
                kernels::im2col(p.shape, xs, col);
                cols = col;
            }
            if (bias) {
                for (Index co = 0; co < g.cout; ++co) std::fill(ys + co * p.ohw, ys + (co + 1) * p.ohw, bias[co]);
            }
            for (Index grp = 0; grp < g.groups; ++grp) {
                kernels::gemm(Trans::No, Trans::No, p.coutG, p.ohw, p.kG, weight + grp * p.coutG * p.kG, p.kG,
                              cols + grp * p.kG * p.ohw, p.ohw, ys + grp * p.coutG * p.ohw, p.ohw, bias != nullptr);
            }
        }
    });
}

void conv2dBackward(const Conv2dGeometry& g, const float* x, const float* weight, const float* dy, float* dx,
                    float* dweight, float* dbias, float* scratch, Index scratchSize) {
    const Index inSize = g.cin * g.h * g.w;
    Plan p = makePlan(g);
    const Index dySize = g.cout * p.ohw;
    chooseThreads(g, p, scratchSize);
    if (dbias) {
        // Each thread sums its own samples (the ones it will read again below).
        const int ran = forSamples(g, p, [&](int t, Index begin, Index end) {
            float* db = p.threads > 1 ? biasPartial(p, scratch, t) : dbias;
            if (p.threads > 1) std::fill(db, db + g.cout, 0.0f);
            for (Index s = begin; s < end; ++s) {
                const float* dys = dy + s * dySize;
                for (Index co = 0; co < g.cout; ++co) {
                    // A simd reduction, not Eigen's sum(): its lanes do not depend on where dy starts.
                    const float* plane = dys + co * p.ohw;
                    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
                    for (Index k = 0; k < p.ohw; ++k) sum += plane[k];
                    db[co] += sum;
                }
            }
        });
        if (p.threads > 1) {
            for (int t = 0; t < ran; ++t) {
                const float* part = biasPartial(p, scratch, t);
                for (Index co = 0; co < g.cout; ++co) dbias[co] += part[co];
            }
        }
    }
    if (!dx && !dweight) return;
    if (p.winograd) {
        winogradBackward(g, p, x, weight, dy, dx, dweight, scratch);
        return;
    }
    const Index wSize = g.weightSize();
    const int ran = forSamples(g, p, [&](int t, Index begin, Index end) {
        float* col = threadScratch(p, scratch, t);
        // With several threads each sums its samples' dweight privately; the
        // partials are added in thread order below, so results are repeatable.
        float* dw = dweight;
        if (dweight && p.threads > 1) {
            dw = col + p.colSize;
            std::fill(dw, dw + wSize, 0.0f);
        }
        if (dw && p.direct) {
            kernels::directConvWeightGradient(p.directShape, end - begin, x + begin * inSize, dy + begin * dySize,
                                              dw, col);
        }
        for (Index s = begin; s < end; ++s) {
            const float* xs = x + s * inSize;
            const float* dys = dy + s * dySize;
            if (dw && !p.direct) {
                const float* cols = xs;
                if (!p.pointwise) {
                    kernels::im2col(p.shape, xs, col);
                    cols = col;
                }
                for (Index grp = 0; grp < g.groups; ++grp) {
                    kernels::gemm(Trans::No, Trans::Yes, p.coutG, p.kG, p.ohw, dys + grp * p.coutG * p.ohw, p.ohw,
                                  cols + grp * p.kG * p.ohw, p.ohw, dw + grp * p.coutG * p.kG, p.kG, true);
                }
            }
            if (dx) {
                float* dxs = dx + s * inSize;
                // In the pointwise case the column gradient is dx itself.
                float* dcol = p.pointwise ? dxs : col;
                for (Index grp = 0; grp < g.groups; ++grp) {
                    kernels::gemm(Trans::Yes, Trans::No, p.kG, p.ohw, p.coutG, weight + grp * p.coutG * p.kG, p.kG,
                                  dys + grp * p.coutG * p.ohw, p.ohw, dcol + grp * p.kG * p.ohw, p.ohw, p.pointwise);
                }
                if (!p.pointwise) kernels::col2imAccumulate(p.shape, col, dxs);
            }
        }
    });
    if (dweight && p.threads > 1) {
        for (int t = 0; t < ran; ++t) {
            const float* part = threadScratch(p, scratch, t) + p.colSize;
            for (Index i = 0; i < wSize; ++i) dweight[i] += part[i];
        }
    }
}

} // namespace ml::ops
