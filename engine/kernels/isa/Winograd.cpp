#include "kernels/isa/IsaKernels.h"

#include <algorithm>
#include <array>
#include <cstring>

// The matrices of F(2x2, 3x3):
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   A^T = [1 1 1 0; 0 1 -1 -1]
// Every transform below applies one of them (or its transpose) along the
// rows of a tile and then along its columns; the loops run over whole rows
// of tiles so the compiler can vectorize across tiles.

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

// The four transformed planes of tile row i (points 4i .. 4i+3), each
// `plane` floats apart: the transforms touch four at a time, never all 16
// (for power-of-two sizes the 16 would share one cache set).
template <typename T>
std::array<T*, 4> pointRow(T* base, Index i, Index plane) {
    T* p = base + 4 * i * plane;
    return {p, p + plane, p + 2 * plane, p + 3 * plane};
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

void winogradTransformInput(const WinogradShape& s, const float* x, float* v, float* rows) {
    const Index tw = s.tilesW(), th = s.tilesH(), tiles = s.tiles();
    const Index width = 2 * tw + 2; // the padded row a row of tiles reads
    const Index plane = s.cin * tiles;
    // Columns of the padded row that hold input (the rest is zero padding).
    const Index lo = std::min(s.padW, width), hi = std::min(width, s.padW + s.w);
    float* r[4] = {rows, rows + width, rows + 2 * width, rows + 3 * width};
    for (Index c = 0; c < s.cin; ++c) {
        const float* xc = x + c * s.h * s.w;
        for (Index ty = 0; ty < th; ++ty) {
            for (Index i = 0; i < 4; ++i) {
                const Index iy = 2 * ty + i - s.padH;
                if (iy < 0 || iy >= s.h) {
                    std::fill(r[i], r[i] + width, 0.0f);
                    continue;
                }
                std::fill(r[i], r[i] + lo, 0.0f);
                std::memcpy(r[i] + lo, xc + iy * s.w + (lo - s.padW), sizeof(float) * size_t(hi - lo));
                std::fill(r[i] + hi, r[i] + width, 0.0f);
            }
            // B^T along the tile's rows, in place, for the whole row of tiles.
            for (Index k = 0; k < width; ++k) {
                const float d0 = r[0][k], d1 = r[1][k], d2 = r[2][k], d3 = r[3][k];
                r[0][k] = d0 - d2;
                r[1][k] = d1 + d2;
                r[2][k] = d2 - d1;
                r[3][k] = d1 - d3;
            }
            // B along the columns, one tile every two columns.
            float* out = v + c * tiles + ty * tw;
            for (Index i = 0; i < 4; ++i) {
                const float* t = r[i];
                const auto o = pointRow(out, i, plane);
                for (Index tx = 0; tx < tw; ++tx) {
                    const float d0 = t[2 * tx], d1 = t[2 * tx + 1], d2 = t[2 * tx + 2], d3 = t[2 * tx + 3];
                    o[0][tx] = d0 - d2;
                    o[1][tx] = d1 + d2;
                    o[2][tx] = d2 - d1;
                    o[3][tx] = d1 - d3;
                }
            }
        }
    }
}

void winogradTransformOutput(const WinogradShape& s, const float* m, const float* bias, float* y, float* rows) {
    const Index tw = s.tilesW(), th = s.tilesH(), tiles = s.tiles();
    const Index plane = s.cout * tiles;
    const Index width = 2 * tw;
    float* q[4] = {rows, rows + width, rows + 2 * width, rows + 3 * width};
    for (Index co = 0; co < s.cout; ++co) {
        const float b = bias ? bias[co] : 0.0f;
        float* yc = y + co * s.outH * s.outW;
        for (Index ty = 0; ty < th; ++ty) {
            const float* in = m + co * tiles + ty * tw;
            // A along the columns of each of the tile's 4 rows.
            for (Index i = 0; i < 4; ++i) {
                const auto m4 = pointRow(in, i, plane);
                float* qi = q[i];
                for (Index tx = 0; tx < tw; ++tx) {
                    qi[2 * tx] = m4[0][tx] + m4[1][tx] + m4[2][tx];
                    qi[2 * tx + 1] = m4[1][tx] - m4[2][tx] - m4[3][tx];
                }
            }
            // A^T along the rows, straight into the output rows.
            float* y0 = yc + 2 * ty * s.outW;
            for (Index k = 0; k < s.outW; ++k) y0[k] = q[0][k] + q[1][k] + q[2][k] + b;
            if (2 * ty + 1 < s.outH) {
                float* y1 = y0 + s.outW;
                for (Index k = 0; k < s.outW; ++k) y1[k] = q[1][k] - q[2][k] - q[3][k] + b;
            }
        }
    }
}

void winogradTransformOutputGradient(const WinogradShape& s, const float* dy, float* dm, float* rows) {
    const Index tw = s.tilesW(), th = s.tilesH(), tiles = s.tiles();
    const Index plane = s.cout * tiles;
    const Index width = 2 * tw;
    float* r[4] = {rows, rows + width, rows + 2 * width, rows + 3 * width};
    for (Index co = 0; co < s.cout; ++co) {
        const float* dyc = dy + co * s.outH * s.outW;
        for (Index ty = 0; ty < th; ++ty) {
            // The two rows of dy the row of tiles covers, zero past the edge.
            std::memcpy(r[0], dyc + 2 * ty * s.outW, sizeof(float) * size_t(s.outW));
            std::fill(r[0] + s.outW, r[0] + width, 0.0f);
            if (2 * ty + 1 < s.outH) {
                std::memcpy(r[1], dyc + (2 * ty + 1) * s.outW, sizeof(float) * size_t(s.outW));
                std::fill(r[1] + s.outW, r[1] + width, 0.0f);
            } else {
                std::fill(r[1], r[1] + width, 0.0f);
            }
            // A along the rows, in place: 2 rows become 4.
            for (Index k = 0; k < width; ++k) {
                const float g0 = r[0][k], g1 = r[1][k];
                r[1][k] = g0 + g1;
                r[2][k] = g0 - g1;
                r[3][k] = -g1;
            }
            // A^T along the columns, one tile every two columns.
            float* out = dm + co * tiles + ty * tw;
            for (Index i = 0; i < 4; ++i) {
                const float* t = r[i];
                const auto o = pointRow(out, i, plane);
                for (Index tx = 0; tx < tw; ++tx) {
                    const float a = t[2 * tx], b = t[2 * tx + 1];
                    o[0][tx] = a;
                    o[1][tx] = a + b;
                    o[2][tx] = a - b;
                    o[3][tx] = -b;
                }
            }
        }
    }
}

void winogradInputGradient(const WinogradShape& s, const float* dv, float* dx, float* rows) {
    const Index tw = s.tilesW(), th = s.tilesH(), tiles = s.tiles();
    const Index width = 2 * tw + 2;
    const Index plane = s.cin * tiles;
    float* r[4] = {rows, rows + width, rows + 2 * width, rows + 3 * width};
    for (Index c = 0; c < s.cin; ++c) {
        float* dxc = dx + c * s.h * s.w;
        for (Index ty = 0; ty < th; ++ty) {
            const float* in = dv + c * tiles + ty * tw;
            // B along columns: each tile adds to 4 columns, neighbours overlap by 2.
            for (Index i = 0; i < 4; ++i) {
                float* t = r[i];
                const auto v4 = pointRow(in, i, plane);
                t[0] = 0.0f;
                t[1] = 0.0f;
                for (Index tx = 0; tx < tw; ++tx) {
                    t[2 * tx] += v4[0][tx];
                    t[2 * tx + 1] += v4[1][tx] - v4[2][tx] + v4[3][tx];
                    t[2 * tx + 2] = v4[1][tx] + v4[2][tx] - v4[0][tx];
                    t[2 * tx + 3] = -v4[3][tx];
                }
            }
            // B^T's adjoint along rows, added into the input rows the tile covers.
            for (Index k = 0; k < width; ++k) {
                const float s0 = r[0][k], s1 = r[1][k], s2 = r[2][k], s3 = r[3][k];
                r[0][k] = s0;
                r[1][k] = s1 - s2 + s3;
                r[2][k] = s1 + s2 - s0;
                r[3][k] = -s3;
            }
            for (Index i = 0; i < 4; ++i) {
                const Index iy = 2 * ty + i - s.padH;
                if (iy < 0 || iy >= s.h) continue;
                float* dst = dxc + iy * s.w;
                const float* src = r[i] + s.padW;
                for (Index ix = 0; ix < s.w; ++ix) dst[ix] += src[ix];
            }
        }
    }
}

} // namespace ml::kernels::ML_KERNEL_ISA
