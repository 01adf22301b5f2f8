// C (+)= op(A) op(B) in the GotoBLAS manner: B is packed a depth block at a
// time into panels of 32 columns, A a block of rows at a time into columns
// of up to 14, and a register tile of up to 14 x 32 of C (28 of the 32 zmm
// registers) accumulates one depth block per call. Only the AVX-512 copy has
// it; the others keep Eigen.
#include "kernels/isa/PackedGemm.h"
#include "kernels/isa/Lanes512.h"

#if defined(__AVX512F__)

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <new>
#include <utility>

namespace ml::kernels::ML_KERNEL_ISA {

namespace {

constexpr int kMaxRows = 14;         // rows of the register tile
constexpr int kPanelWidth = 32;      // columns of the register tile: two vectors
constexpr Index kDepthBlock = 256;   // terms per pass over C: A's pack (14 KB) stays in L1
constexpr Index kWidthBlock = 1024;  // columns per packed block of B: 1 MB, in L2

// r[i] holds row i of a 16x16 block on entry and column i on return.
inline void transpose16(__m512 r[16]) {
    __m512 t[16];
    // Pairs of rows interleaved, then quads: in each 128-bit lane L,
    // r[4g + c] ends with rows 4g .. 4g+3 of column 4L + c.
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    // Then lane L of the four quads gathered into column 4L + c.
    for (int c = 0; c < 4; ++c) {
        const __m512 even01 = _mm512_shuffle_f32x4(r[c], r[4 + c], _MM_SHUFFLE(2, 0, 2, 0));
        const __m512 odd01 = _mm512_shuffle_f32x4(r[c], r[4 + c], _MM_SHUFFLE(3, 1, 3, 1));
        const __m512 even23 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], _MM_SHUFFLE(2, 0, 2, 0));
        const __m512 odd23 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], _MM_SHUFFLE(3, 1, 3, 1));
        t[c] = _mm512_shuffle_f32x4(even01, even23, _MM_SHUFFLE(2, 0, 2, 0));
        t[4 + c] = _mm512_shuffle_f32x4(odd01, odd23, _MM_SHUFFLE(2, 0, 2, 0));
        t[8 + c] = _mm512_shuffle_f32x4(even01, even23, _MM_SHUFFLE(3, 1, 3, 1));
        t[12 + c] = _mm512_shuffle_f32x4(odd01, odd23, _MM_SHUFFLE(3, 1, 3, 1));
    }
    for (int i = 0; i < 16; ++i) r[i] = t[i];
}

// dst[p * rows + i] = op(A)[row + i, depth + p] for p < kc, i < rows.
void packA(bool transA, const float* a, Index lda, Index row, int rows, Index depth, Index kc, float* dst) {
    const __mmask16 rowLanes = lanes(rows);
    if (transA) {
        // A^T's rows are op(A)'s columns: one masked copy per term.
        for (Index p = 0; p < kc; ++p)
            _mm512_mask_storeu_ps(dst + p * rows, rowLanes,
                                  _mm512_maskz_loadu_ps(rowLanes, a + (depth + p) * lda + row));
        return;
    }
    for (Index p0 = 0; p0 < kc; p0 += 16) {
        const __mmask16 depthLanes = lanes(kc - p0);
        __m512 r[16];
        for (int i = 0; i < 16; ++i)
            r[i] = i < rows ? _mm512_maskz_loadu_ps(depthLanes, a + (row + i) * lda + depth + p0) : _mm512_setzero_ps();
        transpose16(r);
        const int terms = int(std::min<Index>(16, kc - p0));
        for (int q = 0; q < terms; ++q) _mm512_mask_storeu_ps(dst + (p0 + q) * rows, rowLanes, r[q]);
    }
}

// dst[p * 32 + j] = op(B)[depth + p, col + j] for p < kc, j < 32, zero for j >= width.
void packB(bool transB, const float* b, Index ldb, Index col, Index width, Index depth, Index kc, float* dst) {
    if (!transB) {
        const __mmask16 low = lanes(width), high = lanes(width - 16);
        for (Index p = 0; p < kc; ++p) {
            const float* src = b + (depth + p) * ldb + col;
            _mm512_store_ps(dst + p * kPanelWidth, _mm512_maskz_loadu_ps(low, src));
            _mm512_store_ps(dst + p * kPanelWidth + 16, _mm512_maskz_loadu_ps(high, src + 16));
        }
        return;
    }
    // B^T's rows are op(B)'s columns: 16x16 blocks transposed in registers
    // (a scalar strided copy made the weight gradient's NT product 2x slower than Eigen's).
    for (int half = 0; half < 2; ++half)
        for (Index p0 = 0; p0 < kc; p0 += 16) {
            const __mmask16 depthLanes = lanes(kc - p0);
            __m512 r[16];
            for (int j = 0; j < 16; ++j) {
                const Index column = half * 16 + j;
                r[j] = column < width ? _mm512_maskz_loadu_ps(depthLanes, b + (col + column) * ldb + depth + p0)
                                      : _mm512_setzero_ps();
            }
            transpose16(r);
            const int terms = int(std::min<Index>(16, kc - p0));
            for (int q = 0; q < terms; ++q) _mm512_store_ps(dst + (p0 + q) * kPanelWidth + half * 16, r[q]);
        }
}

// C's rows x 32 tile at c (+)= the packed A block (kc x rows) times the
// packed B panel (kc x 32); low and high mask C's two vectors of columns.
template <int rows>
void tile(Index kc, const float* __restrict ap, const float* __restrict bp, float* c, Index ldc, bool accumulate,
          __mmask16 low, __mmask16 high) {
    // Unrolled whole, so the accumulators stay in registers (not spilled to stack arrays).
    __m512 acc0[rows], acc1[rows];
#pragma GCC unroll 16
    for (int i = 0; i < rows; ++i) {
        acc0[i] = _mm512_setzero_ps();
        acc1[i] = _mm512_setzero_ps();
    }
    // C's lines fetched while the sum runs: at 1024 columns C is past L2, and
    // the tile's loads and stores of it would wait on memory at the end.
#pragma GCC unroll 16
    for (int i = 0; i < rows; ++i)
        for (const Index column : {0, 16, kPanelWidth - 1}) // three lines where the row is unaligned
            _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + column), _MM_HINT_T0);
    for (Index p = 0; p < kc; ++p) {
        const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
#pragma GCC unroll 16
        for (int i = 0; i < rows; ++i) {
            const __m512 av = _mm512_set1_ps(ap[i]);
            acc0[i] = _mm512_fmadd_ps(av, b0, acc0[i]);
            acc1[i] = _mm512_fmadd_ps(av, b1, acc1[i]);
        }
        ap += rows;
        bp += kPanelWidth;
    }
#pragma GCC unroll 16
    for (int i = 0; i < rows; ++i) {
        float* ci = c + i * ldc;
        if (accumulate) {
            acc0[i] = _mm512_add_ps(acc0[i], _mm512_maskz_loadu_ps(low, ci));
            acc1[i] = _mm512_add_ps(acc1[i], _mm512_maskz_loadu_ps(high, ci + 16));
        }
        _mm512_mask_storeu_ps(ci, low, acc0[i]);
        _mm512_mask_storeu_ps(ci + 16, high, acc1[i]);
    }
}

using Tile = void (*)(Index, const float*, const float*, float*, Index, bool, __mmask16, __mmask16);

template <int... rowsBelow>
constexpr std::array<Tile, sizeof...(rowsBelow)> tilesByRows(std::integer_sequence<int, rowsBelow...>) {
    return {tile<rowsBelow + 1>...};
}

// tiles[r - 1] computes r rows.
constexpr auto tiles = tilesByRows(std::make_integer_sequence<int, kMaxRows>{});

// One thread's packing buffers, allocated at its first product.
struct PackBuffers {
    static constexpr std::align_val_t alignment{64};
    float* a = static_cast<float*>(::operator new(sizeof(float) * kDepthBlock * kMaxRows, alignment));
    float* b = static_cast<float*>(::operator new(sizeof(float) * kDepthBlock * kWidthBlock, alignment));
    PackBuffers() = default;
    PackBuffers(const PackBuffers&) = delete;
    PackBuffers& operator=(const PackBuffers&) = delete;
    ~PackBuffers() {
        ::operator delete(a, alignment);
        ::operator delete(b, alignment);
    }
};

} // namespace

void packedGemm(bool transA, bool transB, Index m, Index n, Index k, const float* a, Index lda, const float* b,
                Index ldb, float* c, Index ldc, bool accumulate) {
    thread_local PackBuffers buffers;
    // Blocks of rows as equal as they go (64 rows: 13, 13, 13, 13, 12), so
    // no block is left with a few rows to run at a fraction of the speed.
    const Index rowBlocks = (m + kMaxRows - 1) / kMaxRows;
    for (Index col0 = 0; col0 < n; col0 += kWidthBlock) {
        const Index nc = std::min(kWidthBlock, n - col0);
        const Index panels = (nc + kPanelWidth - 1) / kPanelWidth;
        for (Index depth = 0; depth < k; depth += kDepthBlock) {
            const Index kc = std::min(kDepthBlock, k - depth);
            // Past the first depth block the tiles add to what the earlier ones stored.
            const bool add = accumulate || depth > 0;
            for (Index panel = 0; panel < panels; ++panel) {
                const Index col = col0 + panel * kPanelWidth;
                packB(transB, b, ldb, col, std::min<Index>(kPanelWidth, n - col), depth, kc,
                      buffers.b + panel * kc * kPanelWidth);
            }
            for (Index block = 0; block < rowBlocks; ++block) {
                const Index row = m * block / rowBlocks;
                const int rows = int(m * (block + 1) / rowBlocks - row);
                packA(transA, a, lda, row, rows, depth, kc, buffers.a);
                for (Index panel = 0; panel < panels; ++panel) {
                    const Index col = col0 + panel * kPanelWidth, width = std::min<Index>(kPanelWidth, n - col);
                    tiles[rows - 1](kc, buffers.a, buffers.b + panel * kc * kPanelWidth, c + row * ldc + col, ldc,
                                    add, lanes(width), lanes(width - 16));
                }
            }
        }
    }
}

} // namespace ml::kernels::ML_KERNEL_ISA

#endif
