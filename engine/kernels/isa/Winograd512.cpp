// The AVX-512 copy's Winograd F(2x2, 3x3) plane transforms (the weight
// transforms and the other copies are in Winograd.cpp). Each works on 16
// tiles of a row of tiles at once, one tile per lane, straight from the
// image rows to the 16 transformed planes and back, in registers: the
// portable versions' two passes through row buffers cost more than the
// arithmetic. The sums are the portable versions', term for term and in the
// same order, so both copies give the same floats.
#include "kernels/isa/IsaKernels.h"
#include "kernels/isa/Lanes512.h"

#if defined(__AVX512F__)

namespace ml::kernels::ML_KERNEL_ISA {

namespace {

constexpr Index kTilesPerVector = 16;

// Tile t's column 2t + k of 32 consecutive columns (lo, hi), k = 0 or 1,
// and back: the columns of 16 tiles interleaved.
inline __m512 evenColumns(__m512 lo, __m512 hi) {
    const __m512i index = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(lo, index, hi);
}
inline __m512 oddColumns(__m512 lo, __m512 hi) {
    const __m512i index = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    return _mm512_permutex2var_ps(lo, index, hi);
}
inline __m512 interleaveLow(__m512 even, __m512 odd) {
    const __m512i index = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    return _mm512_permutex2var_ps(even, index, odd);
}
inline __m512 interleaveHigh(__m512 even, __m512 odd) {
    const __m512i index = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    return _mm512_permutex2var_ps(even, index, odd);
}

// 16 floats of a row of `width` from column `col` on, zero outside the row
// (and everywhere for a null row: a padding row). The masked-off lanes are
// never read, so col may run past either end.
inline __m512 loadRow(const float* row, Index col, Index width) {
    if (!row) return _mm512_setzero_ps();
    return _mm512_maskz_loadu_ps(lanesWithin(col, 0, width), row + col);
}

// The 16 transformed planes of one channel (or output channel): plane
// `point` of tile t is at base[point * plane + t].
template <typename T>
struct Planes {
    T* base;
    Index plane;
    T* at(Index point, Index tile) const { return base + point * plane + tile; }
};

} // namespace

void winogradTransformInput(const WinogradShape& s, const float* x, float* v, float* /*rows*/) {
    const Index tw = s.tilesW(), th = s.tilesH(), tiles = s.tiles();
    for (Index c = 0; c < s.cin; ++c) {
        const float* xc = x + c * s.h * s.w;
        const Planes<float> out{v + c * tiles, s.inputPointStride()};
        for (Index ty = 0; ty < th; ++ty) {
            const float* d[4];
            for (Index a = 0; a < 4; ++a) {
                const Index iy = 2 * ty + a - s.padH;
                d[a] = iy >= 0 && iy < s.h ? xc + iy * s.w : nullptr;
            }
            for (Index tx = 0; tx < tw; tx += kTilesPerVector) {
                const __mmask16 tileLanes = lanes(tw - tx);
                // Padded columns 2tx .. 2tx+31 and 2tx+2 .. 2tx+33 of each
                // of the 4 rows, B^T down them: r[i][q] is row i of the
                // column transform for the columns of load q.
                const Index col = 2 * tx - s.padW;
                const Index offsets[4] = {0, 16, 2, 18};
                __m512 r[4][4];
                for (int q = 0; q < 4; ++q) {
                    const __m512 d0 = loadRow(d[0], col + offsets[q], s.w), d1 = loadRow(d[1], col + offsets[q], s.w);
                    const __m512 d2 = loadRow(d[2], col + offsets[q], s.w), d3 = loadRow(d[3], col + offsets[q], s.w);
                    r[0][q] = _mm512_sub_ps(d0, d2);
                    r[1][q] = _mm512_add_ps(d1, d2);
                    r[2][q] = _mm512_sub_ps(d2, d1);
                    r[3][q] = _mm512_sub_ps(d1, d3);
                }
                // B along each tile's row: columns 2t .. 2t+3 of row i.
                const Index tile = ty * tw + tx;
                for (int i = 0; i < 4; ++i) {
                    const __m512 c0 = evenColumns(r[i][0], r[i][1]), c1 = oddColumns(r[i][0], r[i][1]);
                    const __m512 c2 = evenColumns(r[i][2], r[i][3]), c3 = oddColumns(r[i][2], r[i][3]);
                    _mm512_mask_storeu_ps(out.at(4 * i, tile), tileLanes, _mm512_sub_ps(c0, c2));
                    _mm512_mask_storeu_ps(out.at(4 * i + 1, tile), tileLanes, _mm512_add_ps(c1, c2));
                    _mm512_mask_storeu_ps(out.at(4 * i + 2, tile), tileLanes, _mm512_sub_ps(c2, c1));
                    _mm512_mask_storeu_ps(out.at(4 * i + 3, tile), tileLanes, _mm512_sub_ps(c1, c3));
                }
            }
        }
    }
}

void winogradTransformOutput(const WinogradShape& s, const float* m, const float* bias, float* y, float* /*rows*/) {
    const Index tw = s.tilesW(), th = s.tilesH(), tiles = s.tiles();
    for (Index co = 0; co < s.cout; ++co) {
        const __m512 b = _mm512_set1_ps(bias ? bias[co] : 0.0f);
        const Planes<const float> in{m + co * tiles, s.outputPointStride()};
        float* yc = y + co * s.outH * s.outW;
        for (Index ty = 0; ty < th; ++ty) {
            float* y0 = yc + 2 * ty * s.outW;
            float* y1 = 2 * ty + 1 < s.outH ? y0 + s.outW : nullptr;
            for (Index tx = 0; tx < tw; tx += kTilesPerVector) {
                const __mmask16 tileLanes = lanes(tw - tx);
                const Index tile = ty * tw + tx;
                // A along each tile's rows: q[i][k] is column k of row i.
                __m512 q[4][2];
                for (int i = 0; i < 4; ++i) {
                    const __m512 m0 = _mm512_maskz_loadu_ps(tileLanes, in.at(4 * i, tile));
                    const __m512 m1 = _mm512_maskz_loadu_ps(tileLanes, in.at(4 * i + 1, tile));
                    const __m512 m2 = _mm512_maskz_loadu_ps(tileLanes, in.at(4 * i + 2, tile));
                    const __m512 m3 = _mm512_maskz_loadu_ps(tileLanes, in.at(4 * i + 3, tile));
                    q[i][0] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
                    q[i][1] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
                }
                // A^T down the columns, into output columns 2tx .. 2tx+31.
                const Index col = 2 * tx;
                const __mmask16 low = lanesWithin(col, 0, s.outW), high = lanesWithin(col + 16, 0, s.outW);
                __m512 row0[2], row1[2];
                for (int k = 0; k < 2; ++k) {
                    row0[k] = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(q[0][k], q[1][k]), q[2][k]), b);
                    row1[k] = _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(q[1][k], q[2][k]), q[3][k]), b);
                }
                _mm512_mask_storeu_ps(y0 + col, low, interleaveLow(row0[0], row0[1]));
                _mm512_mask_storeu_ps(y0 + col + 16, high, interleaveHigh(row0[0], row0[1]));
                if (y1) {
                    _mm512_mask_storeu_ps(y1 + col, low, interleaveLow(row1[0], row1[1]));
                    _mm512_mask_storeu_ps(y1 + col + 16, high, interleaveHigh(row1[0], row1[1]));
                }
            }
        }
    }
}

void winogradTransformOutputGradient(const WinogradShape& s, const float* dy, float* dm, float* /*rows*/) {
    const Index tw = s.tilesW(), th = s.tilesH(), tiles = s.tiles();
    const __m512 signBit = _mm512_set1_ps(-0.0f);
    for (Index co = 0; co < s.cout; ++co) {
        const float* dyc = dy + co * s.outH * s.outW;
        const Planes<float> out{dm + co * tiles, s.outputPointStride()};
        for (Index ty = 0; ty < th; ++ty) {
            const float* g0 = dyc + 2 * ty * s.outW;
            const float* g1 = 2 * ty + 1 < s.outH ? g0 + s.outW : nullptr;
            for (Index tx = 0; tx < tw; tx += kTilesPerVector) {
                const __mmask16 tileLanes = lanes(tw - tx);
                const Index col = 2 * tx, tile = ty * tw + tx;
                // The two rows' columns of each tile: even (k = 0) and odd (k = 1).
                const __m512 a0 = loadRow(g0, col, s.outW), b0 = loadRow(g0, col + 16, s.outW);
                const __m512 a1 = loadRow(g1, col, s.outW), b1 = loadRow(g1, col + 16, s.outW);
                const __m512 top[2] = {evenColumns(a0, b0), oddColumns(a0, b0)};
                const __m512 bottom[2] = {evenColumns(a1, b1), oddColumns(a1, b1)};
                // A down the columns (rows g0, g0 + g1, g0 - g1, -g1), then A^T along each row.
                for (int i = 0; i < 4; ++i) {
                    __m512 r[2];
                    for (int k = 0; k < 2; ++k) {
                        r[k] = i == 0   ? top[k]
                               : i == 1 ? _mm512_add_ps(top[k], bottom[k])
                               : i == 2 ? _mm512_sub_ps(top[k], bottom[k])
                                        : _mm512_xor_ps(bottom[k], signBit);
                    }
                    _mm512_mask_storeu_ps(out.at(4 * i, tile), tileLanes, r[0]);
                    _mm512_mask_storeu_ps(out.at(4 * i + 1, tile), tileLanes, _mm512_add_ps(r[0], r[1]));
                    _mm512_mask_storeu_ps(out.at(4 * i + 2, tile), tileLanes, _mm512_sub_ps(r[0], r[1]));
                    _mm512_mask_storeu_ps(out.at(4 * i + 3, tile), tileLanes, _mm512_xor_ps(r[1], signBit));
                }
            }
        }
    }
}

void winogradInputGradient(const WinogradShape& s, const float* dv, float* dx, float* /*rows*/) {
    const Index tw = s.tilesW(), th = s.tilesH(), tiles = s.tiles();
    const __m512 signBit = _mm512_set1_ps(-0.0f);
    for (Index c = 0; c < s.cin; ++c) {
        float* dxc = dx + c * s.h * s.w;
        const Planes<const float> in{dv + c * tiles, s.inputPointStride()};
        for (Index ty = 0; ty < th; ++ty) {
            // Each tile adds to 4 columns of its 4 rows, the last 2 shared
            // with the next tile of its row: the shares a vector of tiles
            // passes on (columns 2t+2, 2t+3) shift one lane over, the last
            // lane's into the next vector (`carried`), or past the row's
            // last tile, into the tail columns 2tw, 2tw+1.
            __m512 carried[4][2] = {};
            for (Index tx = 0; tx < tw; tx += kTilesPerVector) {
                const Index count = std::min(kTilesPerVector, tw - tx);
                const __mmask16 tileLanes = lanes(count);
                const Index tile = ty * tw + tx;
                __m512 row[4][2];  // B's adjoint along row i: columns 2t, 2t+1
                float tail[4][2];  // and 2tw, 2tw+1 of the row's last tile
                for (int i = 0; i < 4; ++i) {
                    const __m512 v0 = _mm512_maskz_loadu_ps(tileLanes, in.at(4 * i, tile));
                    const __m512 v1 = _mm512_maskz_loadu_ps(tileLanes, in.at(4 * i + 1, tile));
                    const __m512 v2 = _mm512_maskz_loadu_ps(tileLanes, in.at(4 * i + 2, tile));
                    const __m512 v3 = _mm512_maskz_loadu_ps(tileLanes, in.at(4 * i + 3, tile));
                    const __m512 share2 = _mm512_sub_ps(_mm512_add_ps(v1, v2), v0);
                    const __m512 share3 = _mm512_xor_ps(v3, signBit);
                    // Lane t of the shifted shares is tile t - 1's.
                    const __m512 from2 = _mm512_castsi512_ps(
                        _mm512_alignr_epi32(_mm512_castps_si512(share2), _mm512_castps_si512(carried[i][0]), 15));
                    const __m512 from3 = _mm512_castsi512_ps(
                        _mm512_alignr_epi32(_mm512_castps_si512(share3), _mm512_castps_si512(carried[i][1]), 15));
                    row[i][0] = _mm512_add_ps(v0, from2);
                    row[i][1] = _mm512_add_ps(_mm512_add_ps(_mm512_sub_ps(v1, v2), v3), from3);
                    carried[i][0] = share2;
                    carried[i][1] = share3;
                    if (tx + count == tw) {
                        alignas(64) float lanes2[16], lanes3[16];
                        _mm512_store_ps(lanes2, share2);
                        _mm512_store_ps(lanes3, share3);
                        tail[i][0] = lanes2[count - 1];
                        tail[i][1] = lanes3[count - 1];
                    }
                }
                // B^T's adjoint down the columns: rows s0; s1 - s2 + s3; s1 + s2 - s0; -s3,
                // added into the input rows this row of tiles covers.
                const Index col = 2 * tx - s.padW;     // input column of padded column 2tx
                const Index end = col + 2 * count;     // and past this vector's tiles
                const __mmask16 low = lanesWithin(col, 0, std::min(s.w, end));
                const __mmask16 high = lanesWithin(col + 16, 0, std::min(s.w, end));
                for (Index a = 0; a < 4; ++a) {
                    const Index iy = 2 * ty + a - s.padH;
                    if (iy < 0 || iy >= s.h) continue;
                    float* dst = dxc + iy * s.w;
                    __m512 sum[2];
                    for (int k = 0; k < 2; ++k) {
                        const __m512 s0 = row[0][k], s1 = row[1][k], s2 = row[2][k], s3 = row[3][k];
                        sum[k] = a == 0   ? s0
                                 : a == 1 ? _mm512_add_ps(_mm512_sub_ps(s1, s2), s3)
                                 : a == 2 ? _mm512_sub_ps(_mm512_add_ps(s1, s2), s0)
                                          : _mm512_xor_ps(s3, signBit); // dst - s3 == dst + (-s3)
                    }
                    _mm512_mask_storeu_ps(dst + col, low,
                                          _mm512_add_ps(_mm512_maskz_loadu_ps(low, dst + col), interleaveLow(sum[0], sum[1])));
                    _mm512_mask_storeu_ps(
                        dst + col + 16, high,
                        _mm512_add_ps(_mm512_maskz_loadu_ps(high, dst + col + 16), interleaveHigh(sum[0], sum[1])));
                    if (tx + count == tw) {
                        const float t0 = tail[0][0], t1 = tail[1][0], t2 = tail[2][0], t3 = tail[3][0];
                        const float u0 = tail[0][1], u1 = tail[1][1], u2 = tail[2][1], u3 = tail[3][1];
                        const float values[2] = {a == 0 ? t0 : a == 1 ? t1 - t2 + t3 : a == 2 ? t1 + t2 - t0 : -t3,
                                                 a == 0 ? u0 : a == 1 ? u1 - u2 + u3 : a == 2 ? u1 + u2 - u0 : -u3};
                        for (int k = 0; k < 2; ++k) {
                            const Index ix = end + k;
                            if (ix >= 0 && ix < s.w) dst[ix] += values[k];
                        }
                    }
                }
            }
        }
    }
}

} // namespace ml::kernels::ML_KERNEL_ISA

#endif
