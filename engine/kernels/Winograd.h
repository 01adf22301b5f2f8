#pragma once
// Winograd F(2x2, 3x3) transforms (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016) for a 3x3, stride-1, undilated,
// ungrouped convolution of one sample in CHW layout. The output is cut into
// 2x2 tiles, each computed from a 4x4 input tile:
//
//     Y = A^T [ sum over input channels (G g G^T) . (B^T d B) ] A
//
// so each of the 16 points of the transformed tile is an independent matrix
// product over channels: 16 GEMMs of [cout x cin] by [cin x tiles], 2.25x
// fewer multiplications than im2col's one GEMM of [cout x 9 cin] by
// [9 cin x outH*outW]. Backward uses the transposed transforms of the same
// products. Transformed data is stored point-major: buffer[point][row][tile]
// with point = 4*i + j of the 4x4 tile, so each GEMM reads contiguous planes;
// the planes are a cache line more than [rows x tiles] apart
// (WinogradShape::inputPointStride, outputPointStride).
#include "core/Tensor.h"

#include <algorithm>

namespace ml::kernels {

inline constexpr Index kWinogradPoints = 16;

struct WinogradShape {
    Index cin, cout;  // channels in and out
    Index h, w;       // input size
    Index padH, padW; // zero padding
    Index outH, outW; // h + 2 padH - 2, w + 2 padW - 2

    Index tilesH() const { return (outH + 1) / 2; }
    Index tilesW() const { return (outW + 1) / 2; }
    Index tiles() const { return tilesH() * tilesW(); }
    // Floats from one point's plane of transformed input (cin rows) or
    // output (cout rows) to the next: one cache line more than the plane, so
    // the 16 planes a transform writes together do not all fall in one
    // cache set, as planes of a power-of-two size would.
    Index inputPointStride() const { return cin * tiles() + 16; }
    Index outputPointStride() const { return cout * tiles() + 16; }
    Index transformedInputSize() const { return kWinogradPoints * inputPointStride(); }
    Index transformedOutputSize() const { return kWinogradPoints * outputPointStride(); }
    // Floats of the buffers the transforms need (caller-provided): four
    // planes of two floats per tile plus two (the rows of tiles laid end to
    // end), their last two columns per row of tiles, two planes of one float
    // per tile plus one, and a zero row.
    Index transformScratch() const {
        return 4 * (2 * tiles() + 2) + 4 * 2 * tilesH() + 2 * (tiles() + 1) + std::max(w, outW);
    }
};

// u[point][co][ci] = (G g G^T)[point] for weight g = [cout, cin, 3, 3].
void winogradTransformWeights(const WinogradShape& s, const float* weight, float* u);

// The adjoint of winogradTransformWeights: dweight += G^T du G per (co, ci).
void winogradWeightGradient(const WinogradShape& s, const float* du, float* dweight);

// v[point][c][tile] (planes inputPointStride() apart) = (B^T d B)[point]
// for the 4x4 input tiles of x [cin, h, w] (zero outside the input). rows
// holds transformScratch() floats (each transform below takes the same; the
// AVX-512 copy's need none).
void winogradTransformInput(const WinogradShape& s, const float* x, float* v, float* rows);

// y [cout, outH, outW] = (A^T m A) (+ bias[co] when bias is not null), from
// m[point][co][tile] (planes outputPointStride() apart); every element of
// y is written.
void winogradTransformOutput(const WinogradShape& s, const float* m, const float* bias, float* y, float* rows);

// The adjoint of winogradTransformOutput: dm[point][co][tile] = (A dy A^T)
// for dy [cout, outH, outW] (zero past the output's edge).
void winogradTransformOutputGradient(const WinogradShape& s, const float* dy, float* dm, float* rows);

// The adjoint of winogradTransformInput: dx [cin, h, w] += (B dv B^T) of
// every tile, overlapping tiles summed, the padding dropped.
void winogradInputGradient(const WinogradShape& s, const float* dv, float* dx, float* rows);

} // namespace ml::kernels
