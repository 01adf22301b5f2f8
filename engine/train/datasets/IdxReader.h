#pragma once
// Reader for the IDX format of MNIST and Fashion-MNIST, plain or gzip:
//   images: big-endian u32 magic 0x00000803, count, rows, cols, then
//           count * rows * cols unsigned bytes;
//   labels: big-endian u32 magic 0x00000801, count, then count bytes.
// Header sizes are never trusted: dimensions are checked against caps
// before anything is allocated, and data is read in chunks so that a file
// shorter than its header claims is an error (naming the file, what was
// expected and what was found), never a huge allocation.
#include "train/datasets/Dataset.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ml::data {

struct IdxImages {
    Index count = 0, rows = 0, cols = 0;
    std::vector<std::uint8_t> pixels; // [count, rows, cols]
};

inline constexpr Index kIdxMaxElements = 100'000'000; // count * rows * cols
inline constexpr Index kIdxMaxSide = 4096;             // rows, cols

// Both read .gz or plain files (zlib reads plain files transparently).
// Throw ml::Error on a missing, malformed or truncated file.
IdxImages readIdxImages(const std::string& path);
std::vector<std::uint8_t> readIdxLabels(const std::string& path);

struct IdxOptions {
    // Pixels are scaled to [0, 1]; with normalize, then (p - mean) / std.
    // A std <= 0 means "compute mean and std over the training images".
    bool normalize = false;
    float mean = 0.0f;
    float std = 0.0f;
};

// An image file and its label file as a Dataset: features [n, 1, rows, cols],
// target "label" with classCount = largest label + 1 (at least
// `minClassCount`). Throws when the counts differ.
Dataset loadIdxPair(const std::string& imagesPath, const std::string& labelsPath, const std::string& name,
                    Index minClassCount = 0);

struct IdxFolder {
    Dataset train; // train-images-idx3-ubyte(.gz) + train-labels-idx1-ubyte(.gz)
    Dataset test;  // t10k-images-idx3-ubyte(.gz) + t10k-labels-idx1-ubyte(.gz)
    float mean = 0.0f, std = 1.0f; // the normalization applied (0 and 1 when none)
};

// Loads the four standard files from a folder, e.g.
// /usr/share/datasets/fashion-mnist. For each file the plain name is used
// if present, else the name with .gz. Both sets get the same class count.
IdxFolder loadIdxFolder(const std::string& folder, const IdxOptions& options = {});

} // namespace ml::data
