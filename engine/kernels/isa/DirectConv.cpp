#include "kernels/isa/IsaKernels.h"

#include <algorithm>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace ml::kernels::ML_KERNEL_ISA {

namespace {

// Register blocks per instruction set: the forward pass holds
// kForwardChannels x kForwardVectors accumulators, the weight gradient
// kGradientChannels x kGradientTaps (32 vector registers with AVX-512, 16 below).
#if defined(__AVX512F__)
constexpr int kLanes = 16, kForwardVectors = 2, kForwardChannels = 8, kGradientChannels = 4, kGradientTaps = 6;
#elif defined(__AVX2__)
constexpr int kLanes = 8, kForwardVectors = 2, kForwardChannels = 6, kGradientChannels = 2, kGradientTaps = 5;
#else
constexpr int kLanes = 4, kForwardVectors = 2, kForwardChannels = 6, kGradientChannels = 2, kGradientTaps = 5;
#endif
constexpr Index kForwardBlock = kLanes * kForwardVectors;
static_assert(kLanes <= kDirectConvLanes && kDirectConvBlock % kForwardBlock == 0);

typedef float Vec __attribute__((vector_size(kLanes * sizeof(float))));

// Unaligned: the scratch and the tensors are only float-aligned.
inline Vec load(const float* p) {
    Vec v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store(float* p, Vec v) { std::memcpy(p, &v, sizeof v); }
// f - 0 is f for every f (0 + f is not, for f = -0), so this folds to a broadcast.
inline Vec splat(float f) { return f - Vec{}; }

// dst[0, n) = the first n lanes of v, 0 < n < kLanes: a masked store (a
// row's last vector; Fashion-MNIST's 28 columns are 16 + 12), where a copy
// lane by lane had been most of the first convolution's time.
inline void storeFirst(float* dst, Vec v, Index n) {
#if defined(__AVX512F__)
    _mm512_mask_storeu_ps(dst, __mmask16((1u << n) - 1), (__m512)v);
#elif defined(__AVX2__)
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    _mm256_maskstore_ps(dst, _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n)), lanes), (__m256)v);
#else
    float lanes[kLanes];
    store(lanes, v);
    for (Index i = 0; i < n; ++i) dst[i] = lanes[i];
#endif
}

// dst[0, n) = src[0, n) in whole vectors and a scalar tail: these rows are
// 9 to 64 floats, where a call to memcpy per row cost more than the copy.
inline void copyRow(const float* src, Index n, float* dst) {
    Index i = 0;
    for (; i + kLanes <= n; i += kLanes) store(dst + i, load(src + i));
    for (; i < n; ++i) dst[i] = src[i];
}
inline void zeroRow(float* dst, Index n) {
    for (Index i = 0; i < n; ++i) dst[i] = 0.0f;
}

// xp[c][pr][pc] = x[c][pr - padH][pc - padW], zero outside the input.
void padInput(const DirectConvShape& s, const float* x, float* xp) {
    const Im2colShape& g = s.in;
    const Index ph = s.paddedH(), pw = s.paddedW();
    const Index lo = std::min(g.padW, pw), hi = std::max(lo, std::min(pw, g.padW + g.w));
    for (Index c = 0; c < g.c; ++c) {
        for (Index pr = 0; pr < ph; ++pr) {
            float* dst = xp + (c * ph + pr) * pw;
            const Index iy = pr - g.padH;
            if (iy < 0 || iy >= g.h) {
                zeroRow(dst, pw);
                continue;
            }
            zeroRow(dst, lo);
            copyRow(x + (c * g.h + iy) * g.w + (lo - g.padW), hi - lo, dst + lo);
            zeroRow(dst + hi, pw - hi);
        }
    }
}

// Output channels co0 .. co0+C-1 of one sample, kForwardBlock columns of
// a row at a time (those before outW stored).
template <int C>
void forwardChannelBlock(const DirectConvShape& s, const float* xp, const float* weight, const float* bias,
                         Index co0, float* y) {
    const Im2colShape& g = s.in;
    constexpr int V = kForwardVectors;
    const Index ph = s.paddedH(), pw = s.paddedW(), taps = s.taps();
    const float* w = weight + co0 * taps;
    for (Index oy = 0; oy < g.outH; ++oy) {
        for (Index x0 = 0; x0 < g.outW; x0 += kForwardBlock) {
            Vec acc[C][V];
            for (int c = 0; c < C; ++c) {
                const Vec b = splat(bias ? bias[co0 + c] : 0.0f);
                for (int v = 0; v < V; ++v) acc[c][v] = b;
            }
            Index tap = 0;
            for (Index ci = 0; ci < g.c; ++ci) {
                for (Index ky = 0; ky < g.kh; ++ky) {
                    const float* row = xp + (ci * ph + oy * g.strideH + ky * g.dilH) * pw + x0;
                    for (Index kx = 0; kx < g.kw; ++kx, ++tap) {
                        Vec xv[V];
                        for (int v = 0; v < V; ++v) xv[v] = load(row + kx * g.dilW + v * kLanes);
                        for (int c = 0; c < C; ++c) {
                            const Vec wv = splat(w[c * taps + tap]);
                            for (int v = 0; v < V; ++v) acc[c][v] += wv * xv[v];
                        }
                    }
                }
            }
            const Index valid = std::min(kForwardBlock, g.outW - x0);
            for (int c = 0; c < C; ++c) {
                float* dst = y + (co0 + c) * g.outH * g.outW + oy * g.outW + x0;
                for (int v = 0; v < V; ++v) {
                    const Index lanes = valid - v * kLanes;
                    if (lanes >= kLanes)
                        store(dst + v * kLanes, acc[c][v]);
                    else if (lanes > 0)
                        storeFirst(dst + v * kLanes, acc[c][v], lanes);
                }
            }
        }
    }
}

// forwardChannelBlock for the last, partial block of channels: `channels` < C.
template <int C>
void forwardChannels(int channels, const DirectConvShape& s, const float* xp, const float* weight, const float* bias,
                     Index co0, float* y) {
    if constexpr (C > 1) {
        if (channels < C) return forwardChannels<C - 1>(channels, s, xp, weight, bias, co0, y);
    }
    forwardChannelBlock<C>(s, xp, weight, bias, co0, y);
}

// partial[(co*taps + tap)*kLanes ..] += the lanes of dy * x for channels co0
// .. co0+C-1 and taps t0 .. t0+T-1, over one sample (dyp: dy in rows of
// rw >= outW floats, zero past outW, whole vectors).
template <int C, int T>
void gradientBlock(const DirectConvShape& s, const float* xp, const float* dyp, Index rw, Index co0, Index t0,
                   float* partial) {
    const Im2colShape& g = s.in;
    const Index ph = s.paddedH(), pw = s.paddedW(), taps = s.taps();
    const float* tapBase[T];
    for (int t = 0; t < T; ++t) {
        const Index tap = t0 + t, kx = tap % g.kw, ky = tap / g.kw % g.kh, ci = tap / (g.kw * g.kh);
        tapBase[t] = xp + (ci * ph + ky * g.dilH) * pw + kx * g.dilW;
    }
    Vec acc[C][T] = {};
    const Index columns = (g.outW + kLanes - 1) / kLanes * kLanes;
    for (Index oy = 0; oy < g.outH; ++oy) {
        const Index xRow = oy * g.strideH * pw;
        const float* dyRow = dyp + (co0 * g.outH + oy) * rw;
        for (Index x0 = 0; x0 < columns; x0 += kLanes) {
            Vec d[C];
            for (int c = 0; c < C; ++c) d[c] = load(dyRow + c * g.outH * rw + x0);
            for (int t = 0; t < T; ++t) {
                const Vec xv = load(tapBase[t] + xRow + x0);
                for (int c = 0; c < C; ++c) acc[c][t] += d[c] * xv;
            }
        }
    }
    for (int c = 0; c < C; ++c) {
        for (int t = 0; t < T; ++t) {
            float* p = partial + ((co0 + c) * taps + t0 + t) * kLanes;
            store(p, load(p) + acc[c][t]);
        }
    }
}

// gradientBlock for partial blocks: channels <= C, tapCount <= T.
template <int C, int T>
void gradientChannelsTaps(int channels, int tapCount, const DirectConvShape& s, const float* xp, const float* dyp,
                          Index rw, Index co0, Index t0, float* partial) {
    if constexpr (T > 1) {
        if (tapCount < T)
            return gradientChannelsTaps<C, T - 1>(channels, tapCount, s, xp, dyp, rw, co0, t0, partial);
    }
    if constexpr (C > 1) {
        if (channels < C)
            return gradientChannelsTaps<C - 1, T>(channels, tapCount, s, xp, dyp, rw, co0, t0, partial);
    }
    gradientBlock<C, T>(s, xp, dyp, rw, co0, t0, partial);
}

} // namespace

void directConvForward(const DirectConvShape& s, Index n, const float* x, const float* weight, const float* bias,
                       float* y, float* scratch) {
    const Im2colShape& g = s.in;
    const Index inSize = g.c * g.h * g.w, outSize = s.cout * g.outH * g.outW;
    for (Index sample = 0; sample < n; ++sample) {
        padInput(s, x + sample * inSize, scratch);
        for (Index co0 = 0; co0 < s.cout; co0 += kForwardChannels) {
            const int channels = int(std::min<Index>(kForwardChannels, s.cout - co0));
            forwardChannels<kForwardChannels>(channels, s, scratch, weight, bias, co0, y + sample * outSize);
        }
    }
}

void directConvWeightGradient(const DirectConvShape& s, Index n, const float* x, const float* dy, float* dweight,
                              float* scratch) {
    const Im2colShape& g = s.in;
    const Index inSize = g.c * g.h * g.w, outPlane = g.outH * g.outW, rw = s.rowWidth(), taps = s.taps();
    float* xp = scratch;
    float* dyp = xp + g.c * s.paddedH() * s.paddedW();
    float* partial = dyp + s.cout * g.outH * rw;
    std::fill(partial, partial + s.cout * taps * kLanes, 0.0f);
    for (Index sample = 0; sample < n; ++sample) {
        padInput(s, x + sample * inSize, xp);
        // Rows of whole vectors are read in place; others through a copy padded with zeros.
        const float* dys = dy + sample * s.cout * outPlane;
        Index dyStride = g.outW;
        if (g.outW % kLanes != 0) {
            for (Index row = 0; row < s.cout * g.outH; ++row) {
                copyRow(dys + row * g.outW, g.outW, dyp + row * rw);
                zeroRow(dyp + row * rw + g.outW, rw - g.outW);
            }
            dys = dyp;
            dyStride = rw;
        }
        for (Index co0 = 0; co0 < s.cout; co0 += kGradientChannels) {
            const int channels = int(std::min<Index>(kGradientChannels, s.cout - co0));
            for (Index t0 = 0; t0 < taps; t0 += kGradientTaps) {
                const int tapCount = int(std::min<Index>(kGradientTaps, taps - t0));
                gradientChannelsTaps<kGradientChannels, kGradientTaps>(channels, tapCount, s, xp, dys, dyStride,
                                                                       co0, t0, partial);
            }
        }
    }
    // Lanes summed in order: the same result for the same samples whatever the buffers' addresses.
    for (Index i = 0; i < s.cout * taps; ++i) {
        float sum = 0.0f;
        for (int l = 0; l < kLanes; ++l) sum += partial[i * kLanes + l];
        dweight[i] += sum;
    }
}

} // namespace ml::kernels::ML_KERNEL_ISA
