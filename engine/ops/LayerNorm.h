#pragma once
// nn.LayerNorm over the last D elements, as PyTorch 1.13: each row of length
// D is normalized with its mean and biased variance, eps inside the square
// root, then (elementwise_affine) scaled by weight[D] and shifted by bias[D].
// Leading dims are flattened by the caller into rows.
#include "core/Tensor.h"

namespace ml::ops {

struct LayerNormGeometry {
    Index rows = 0; // product of the leading dims
    Index d = 0;    // product of normalized_shape
};

struct LayerNormParams {
    float eps = 1e-5f;
};

// Floats forward saves for backward: mean[rows] then invstd[rows].
inline Index layerNormSavedSize(const LayerNormGeometry& g) { return 2 * g.rows; }

// requires: x, y [rows, d]; weight, bias [d] or null; saved holds
//           layerNormSavedSize(g) floats.
// ensures:  y assigned; saved = {mean, 1/sqrt(var + eps)} per row.
void layerNormForward(const LayerNormGeometry& g, const LayerNormParams& p, const float* x, const float* weight,
                      const float* bias, float* y, float* saved);

// requires: the same x, weight and saved as forward; dy [rows, d].
// ensures:  dx += invstd * (dyw - mean(dyw) - xhat * mean(dyw * xhat)) with
//           dyw = dy * weight; dweight += sum over rows dy * xhat;
//           dbias += sum over rows dy. Nulls are skipped.
void layerNormBackward(const LayerNormGeometry& g, const float* x, const float* weight, const float* saved,
                       const float* dy, float* dx, float* dweight, float* dbias);

} // namespace ml::ops
