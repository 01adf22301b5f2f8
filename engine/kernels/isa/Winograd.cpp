#include "kernels/isa/IsaKernels.h"

#include <algorithm>
#include <array>

// The matrices of F(2x2, 3x3):
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   A^T = [1 1 1 0; 0 1 -1 -1]
// Every transform below applies one of them (or its transpose) along the
// rows of a tile and then along its columns; the loops run over whole rows
// of tiles, or over all tiles of a plane, so they vectorize across tiles.

namespace ml::kernels::ML_KERNEL_ISA {

namespace {

// (G g) for a 3-vector, and its adjoint G^T for a 4-vector.
inline void applyG(float g0, float g1, float g2, float* out, Index stride) {
    out[0] = g0;
    out[stride] = 0.5f * (g0 + g1 + g2);
    out[2 * stride] = 0.5f * (g0 - g1 + g2);
    out[3 * stride] = g2;
}

inline void applyGT(float u0, float u1, float u2, float u3, float* out, Index stride) {
    out[0] += u0 + 0.5f * (u1 + u2);
    out[stride] += 0.5f * (u1 - u2);
    out[2 * stride] += 0.5f * (u1 + u2) + u3;
}

} // namespace

void winogradTransformWeights(const WinogradShape& s, const float* weight, float* u) {
    const Index plane = s.cout * s.cin;
    for (Index co = 0; co < s.cout; ++co) {
        for (Index ci = 0; ci < s.cin; ++ci) {
            const float* g = weight + (co * s.cin + ci) * 9;
            float rows[4][3]; // G g: 4 rows of 3
            for (Index j = 0; j < 3; ++j) applyG(g[j], g[3 + j], g[6 + j], &rows[0][j], 3);
            float* dst = u + co * s.cin + ci;
            for (Index i = 0; i < 4; ++i) applyG(rows[i][0], rows[i][1], rows[i][2], dst + 4 * i * plane, plane);
        }
    }
}

void winogradWeightGradient(const WinogradShape& s, const float* du, float* dweight) {
    const Index plane = s.cout * s.cin;
    for (Index co = 0; co < s.cout; ++co) {
        for (Index ci = 0; ci < s.cin; ++ci) {
            const float* src = du + co * s.cin + ci;
            float rows[4][3] = {}; // du G^T-adjoint along columns: 4 rows of 3
            for (Index i = 0; i < 4; ++i) {
                const float* r = src + 4 * i * plane;
                applyGT(r[0], r[plane], r[2 * plane], r[3 * plane], rows[i], 1);
            }
            float* dg = dweight + (co * s.cin + ci) * 9;
            for (Index j = 0; j < 3; ++j) applyGT(rows[0][j], rows[1][j], rows[2][j], rows[3][j], dg + j, 3);
        }
    }
}

// The plane transforms below serve the copies without AVX-512; that one
// has its own (kernels/isa/Winograd512.cpp).
#if !defined(__AVX512F__)

namespace {

// B^T applied to a column of four: element k of each of the four outputs.
inline void applyBT(float d0, float d1, float d2, float d3, const std::array<float*, 4>& out, Index k) {
    out[0][k] = d0 - d2;
    out[1][k] = d1 + d2;
    out[2][k] = d2 - d1;
    out[3][k] = d1 - d3;
}

// The four transformed planes of tile row i (points 4i .. 4i+3), each
// `plane` floats apart: the transforms touch four at a time, never all 16
// (for power-of-two sizes the 16 would share one cache set).
template <typename T>
std::array<T*, 4> pointRow(T* base, Index i, Index plane) {
    T* p = base + 4 * i * plane;
    return {p, p + plane, p + 2 * plane, p + 3 * plane};
}

// The transforms' scratch (WinogradShape::transformScratch()). The step
// along a tile's columns runs over all tiles of a plane at once: row ty of
// tiles occupies floats [2 tw ty, 2 tw (ty + 1)) of a flat buffer, so tile t
// reads floats 2t .. 2t+3. For the last tile of a row the two floats past
// its own columns are the row's tail (columns 2tw, 2tw+1 of the padded
// input, kept apart) and it is redone from there; every other tile reads its
// neighbour's columns, as it should. One long loop vectorizes where a loop
// per row of tiles (7 or 8 tiles) mostly ran its scalar remainder.
struct Scratch {
    std::array<float*, 4> flat; // 2 tiles + 2 floats each
    std::array<float*, 4> tail; // 2 per row of tiles
    float* carry[2];            // tiles + 1 floats each (the input gradient's)
    float* zeroRow;             // max(w, outW) zeros

    // The four flat buffers from row ty of tiles on.
    std::array<float*, 4> flatRow(Index ty, Index flatW) const {
        return {flat[0] + ty * flatW, flat[1] + ty * flatW, flat[2] + ty * flatW, flat[3] + ty * flatW};
    }
};

Scratch layout(const WinogradShape& s, float* rows) {
    Scratch b;
    const Index flatSize = 2 * s.tiles() + 2;
    for (int i = 0; i < 4; ++i) b.flat[i] = rows + i * flatSize;
    float* tails = rows + 4 * flatSize;
    for (int i = 0; i < 4; ++i) b.tail[i] = tails + i * 2 * s.tilesH();
    float* carries = tails + 4 * 2 * s.tilesH();
    b.carry[0] = carries;
    b.carry[1] = carries + s.tiles() + 1;
    b.zeroRow = carries + 2 * (s.tiles() + 1);
    return b;
}

// Zeroes the flat buffers, the tails and the zero row: what a transform
// never writes (padding columns) stays zero for every channel after.
void clearFlatAndTails(const WinogradShape& s, const Scratch& b) {
    std::fill(b.flat[0], b.carry[0], 0.0f);
    std::fill(b.zeroRow, b.zeroRow + std::max(s.w, s.outW), 0.0f);
}

} // namespace

void winogradTransformInput(const WinogradShape& s, const float* x, float* v, float* rows) {
    const Index tw = s.tilesW(), th = s.tilesH(), tiles = s.tiles();
    const Index flatW = 2 * tw;      // padded columns of a row of tiles in the flat buffers
    const Index width = flatW + 2;   // padded columns a row of tiles reads
    const Index plane = s.inputPointStride();
    // Padded columns that hold input, [lo, hi); the flat part of them, [lo, flatHi).
    const Index lo = std::min(s.padW, width), hi = std::min(width, s.padW + s.w);
    const Index flatHi = std::max(lo, std::min(hi, flatW));
    const Scratch b = layout(s, rows);
    clearFlatAndTails(s, b);
    for (Index c = 0; c < s.cin; ++c) {
        const float* xc = x + c * s.h * s.w;
        // B^T down the columns of each row of tiles: 4 padded input rows become 4 rows.
        for (Index ty = 0; ty < th; ++ty) {
            const float* d[4];
            for (Index a = 0; a < 4; ++a) {
                const Index iy = 2 * ty + a - s.padH;
                d[a] = iy >= 0 && iy < s.h ? xc + iy * s.w : b.zeroRow;
            }
            const Index pw = s.padW; // padded column pc is input column pc - pw
            const auto r = b.flatRow(ty, flatW);
#pragma omp simd
            for (Index pc = lo; pc < flatHi; ++pc)
                applyBT(d[0][pc - pw], d[1][pc - pw], d[2][pc - pw], d[3][pc - pw], r, pc);
            for (Index pc = std::max(flatW, lo); pc < hi; ++pc)
                applyBT(d[0][pc - pw], d[1][pc - pw], d[2][pc - pw], d[3][pc - pw], b.tail, 2 * ty + (pc - flatW));
        }
        // B along the rows of each tile: one loop over all tiles of the plane.
        for (Index i = 0; i < 4; ++i) {
            const float* r = b.flat[i];
            const auto o = pointRow(v + c * tiles, i, plane);
#pragma omp simd
            for (Index t = 0; t < tiles; ++t) applyBT(r[2 * t], r[2 * t + 1], r[2 * t + 2], r[2 * t + 3], o, t);
            for (Index ty = 0; ty < th; ++ty) {
                const Index t = ty * tw + tw - 1;
                applyBT(r[2 * t], r[2 * t + 1], b.tail[i][2 * ty], b.tail[i][2 * ty + 1], o, t);
            }
        }
    }
}

void winogradTransformOutput(const WinogradShape& s, const float* m, const float* bias, float* y, float* rows) {
    const Index tw = s.tilesW(), th = s.tilesH(), tiles = s.tiles();
    const Index plane = s.outputPointStride();
    const Index flatW = 2 * tw;
    const Scratch b = layout(s, rows);
    for (Index co = 0; co < s.cout; ++co) {
        const float bc = bias ? bias[co] : 0.0f;
        // A along the rows of each tile, over all tiles: q[i] holds row i of
        // every tile's 4x2 intermediate, the rows of tiles end to end.
        for (Index i = 0; i < 4; ++i) {
            const auto m4 = pointRow(m + co * tiles, i, plane);
            float* q = b.flat[i];
#pragma omp simd
            for (Index t = 0; t < tiles; ++t) {
                q[2 * t] = m4[0][t] + m4[1][t] + m4[2][t];
                q[2 * t + 1] = m4[1][t] - m4[2][t] - m4[3][t];
            }
        }
        // A^T down the columns, straight into the output rows.
        float* yc = y + co * s.outH * s.outW;
        for (Index ty = 0; ty < th; ++ty) {
            const auto q = b.flatRow(ty, flatW);
            float* y0 = yc + 2 * ty * s.outW;
#pragma omp simd
            for (Index k = 0; k < s.outW; ++k) y0[k] = q[0][k] + q[1][k] + q[2][k] + bc;
            if (2 * ty + 1 < s.outH) {
                float* y1 = y0 + s.outW;
#pragma omp simd
                for (Index k = 0; k < s.outW; ++k) y1[k] = q[1][k] - q[2][k] - q[3][k] + bc;
            }
        }
    }
}

void winogradTransformOutputGradient(const WinogradShape& s, const float* dy, float* dm, float* rows) {
    const Index tw = s.tilesW(), th = s.tilesH(), tiles = s.tiles();
    const Index plane = s.outputPointStride();
    const Index flatW = 2 * tw;
    // Column 2tw - 1 of an odd-width output is past the edge: it stays zero.
    const Scratch b = layout(s, rows);
    clearFlatAndTails(s, b);
    for (Index co = 0; co < s.cout; ++co) {
        const float* dyc = dy + co * s.outH * s.outW;
        // A down the columns: the two rows of dy a row of tiles covers become 4.
        for (Index ty = 0; ty < th; ++ty) {
            const float* g0 = dyc + 2 * ty * s.outW;
            const float* g1 = 2 * ty + 1 < s.outH ? g0 + s.outW : b.zeroRow;
            const auto r = b.flatRow(ty, flatW);
#pragma omp simd
            for (Index k = 0; k < s.outW; ++k) {
                r[0][k] = g0[k];
                r[1][k] = g0[k] + g1[k];
                r[2][k] = g0[k] - g1[k];
                r[3][k] = -g1[k];
            }
        }
        // A^T along the rows of each tile, over all tiles.
        for (Index i = 0; i < 4; ++i) {
            const float* r = b.flat[i];
            const auto o = pointRow(dm + co * tiles, i, plane);
#pragma omp simd
            for (Index t = 0; t < tiles; ++t) {
                const float a = r[2 * t], c = r[2 * t + 1];
                o[0][t] = a;
                o[1][t] = a + c;
                o[2][t] = a - c;
                o[3][t] = -c;
            }
        }
    }
}

void winogradInputGradient(const WinogradShape& s, const float* dv, float* dx, float* rows) {
    const Index tw = s.tilesW(), th = s.tilesH(), tiles = s.tiles();
    const Index flatW = 2 * tw;
    const Index width = flatW + 2;
    const Index plane = s.inputPointStride();
    const Index lo = std::min(s.padW, width), hi = std::min(width, s.padW + s.w);
    const Index flatHi = std::max(lo, std::min(hi, flatW));
    const Scratch b = layout(s, rows);
    // Element 0 of each carry plane is the zero a row's first tile receives.
    float* carry2 = b.carry[0];
    float* carry3 = b.carry[1];
    carry2[0] = 0.0f;
    carry3[0] = 0.0f;
    for (Index c = 0; c < s.cin; ++c) {
        float* dxc = dx + c * s.h * s.w;
        // B's adjoint along the rows of each tile: a tile adds to its 4
        // columns, the last 2 shared with the next tile of its row. The
        // shares a tile passes on are carried one tile over (carry[t + 1]),
        // except from the last tile of a row: that goes to the row's tail.
        for (Index i = 0; i < 4; ++i) {
            const auto v4 = pointRow(dv + c * tiles, i, plane);
            float* c2 = carry2 + 1;
            float* c3 = carry3 + 1;
#pragma omp simd
            for (Index t = 0; t < tiles; ++t) {
                c2[t] = v4[1][t] + v4[2][t] - v4[0][t];
                c3[t] = -v4[3][t];
            }
            for (Index ty = 0; ty < th; ++ty) {
                const Index t = ty * tw + tw - 1;
                b.tail[i][2 * ty] = c2[t];
                b.tail[i][2 * ty + 1] = c3[t];
                c2[t] = 0.0f;
                c3[t] = 0.0f;
            }
            float* r = b.flat[i];
#pragma omp simd
            for (Index t = 0; t < tiles; ++t) {
                r[2 * t] = v4[0][t] + carry2[t];
                r[2 * t + 1] = v4[1][t] - v4[2][t] + v4[3][t] + carry3[t];
            }
        }
        // B^T's adjoint down the columns, added into the input rows the row of tiles covers.
        for (Index ty = 0; ty < th; ++ty) {
            const auto sr = b.flatRow(ty, flatW);
            const float* s0 = sr[0];
            const float* s1 = sr[1];
            const float* s2 = sr[2];
            const float* s3 = sr[3];
            for (Index a = 0; a < 4; ++a) {
                const Index iy = 2 * ty + a - s.padH;
                if (iy < 0 || iy >= s.h) continue;
                float* dst = dxc + iy * s.w;
                const Index pw = s.padW; // padded column pc is input column pc - pw
                // The four rows of B^T's adjoint: s0; s1 - s2 + s3; s1 + s2 - s0; -s3.
                switch (a) {
                case 0:
#pragma omp simd
                    for (Index pc = lo; pc < flatHi; ++pc) dst[pc - pw] += s0[pc];
                    break;
                case 1:
#pragma omp simd
                    for (Index pc = lo; pc < flatHi; ++pc) dst[pc - pw] += s1[pc] - s2[pc] + s3[pc];
                    break;
                case 2:
#pragma omp simd
                    for (Index pc = lo; pc < flatHi; ++pc) dst[pc - pw] += s1[pc] + s2[pc] - s0[pc];
                    break;
                default:
#pragma omp simd
                    for (Index pc = lo; pc < flatHi; ++pc) dst[pc - pw] -= s3[pc];
                    break;
                }
                for (Index pc = std::max(flatW, lo); pc < hi; ++pc) {
                    const Index k = 2 * ty + (pc - flatW);
                    const float t0 = b.tail[0][k], t1 = b.tail[1][k], t2 = b.tail[2][k], t3 = b.tail[3][k];
                    const float rowValues[4] = {t0, t1 - t2 + t3, t1 + t2 - t0, -t3};
                    dst[pc - pw] += rowValues[a];
                }
            }
        }
    }
}

#endif

} // namespace ml::kernels::ML_KERNEL_ISA
