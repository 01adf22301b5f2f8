#pragma once
// Seeded synthetic datasets: same arguments, same bytes, on every platform
// (they draw from ml::Random, never from std:: distributions). Classes
// are balanced: sample i belongs to class i % classes, so each class has
// count / classes samples (the first count % classes classes one more).
// All functions throw ml::Error for counts or parameters out of range.
#include "train/datasets/Dataset.h"

#include <cstdint>

namespace ml::data {

// 2-D points on `arms` interleaved spiral arms (arms >= 2), one class per
// arm; radius grows from 0 to 1 over 1.5 turns; Gaussian noise of std
// `noise` on each coordinate. features [count, 2], target "label".
Dataset makeSpirals(Index count, int arms, float noise, std::uint64_t seed);

// Two interleaving half circles (as scikit-learn's make_moons).
// features [count, 2], target "label" with 2 classes.
Dataset makeMoons(Index count, float noise, std::uint64_t seed);

// Two concentric circles of radius 1 (class 0) and `factor` (class 1),
// 0 < factor < 1. features [count, 2], target "label".
Dataset makeCircles(Index count, float noise, float factor, std::uint64_t seed);

// Points uniform in [-1, 1]^2; class 1 where x and y have opposite signs.
// Noise is added to the points after labelling. features [count, 2].
Dataset makeXor(Index count, float noise, std::uint64_t seed);

// `classes` Gaussian blobs of std `spread` in `dims` dimensions; centres
// uniform in [-5, 5]^dims drawn from the seed. features [count, dims].
Dataset makeBlobs(Index count, int classes, int dims, float spread, std::uint64_t seed);

// The tutorial's multi-task data: x ~ N(0, 1)^10 and three targets, each a
// fixed rule of x plus Gaussian noise of std `noise`:
//   task0 (2 classes): x0 + x1 - x2 + e > 0
//   task1 (3 classes): argmax(x3 + x4, x5 - x3, 0.5 * x6 - x4) after adding e to each
//   task2 (values [count, 1]): sin(x7) + 0.5 * x8 * x9 + 0.3 * x0 + e
Dataset makeMultiTask(Index count, float noise, std::uint64_t seed);

// Small RGB images [count, 3, 32, 32] in [0, 1], 10 classes, each a
// class-specific shape in a class-specific colour on a dark background,
// with random position, size and brightness plus Gaussian pixel noise:
//   0 filled square, 1 disc, 2 horizontal stripes, 3 vertical stripes,
//   4 diagonal stripes, 5 ring, 6 plus sign, 7 checkerboard,
//   8 triangle, 9 hollow square.
// Target "label" carries these names.
Dataset makeShapeImages(Index count, float noise, std::uint64_t seed);

} // namespace ml::data
