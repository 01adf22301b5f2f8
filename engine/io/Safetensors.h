#pragma once
// The safetensors weight format (https://github.com/huggingface/safetensors):
//   u64 little-endian N | N bytes of JSON header | data buffer
// The header maps each tensor name to {"dtype", "shape", "data_offsets":
// [begin, end]} (offsets relative to the data buffer) and may hold
// "__metadata__": {string: string}. This is how weights move between
// ModuleLab and PyTorch (safetensors.torch.save_file / load_file).
//
// Reading trusts nothing: the header length is capped and checked against
// the file size, every entry's dtype, shape and offsets are checked (in
// range, size == dtype size * element count without overflow, no overlap,
// no holes, as the format requires), and each error names the file and the
// tensor. Writing is atomic (a temporary file renamed over the target).
//
//   ml::io::NamedTensor w{"0.weight", ml::io::DType::F32, {2, 3}, {...6 floats}, {}};
//   ml::io::writeSafetensors("model.safetensors", {w}, {{"format", "pt"}});
//   ml::io::SafetensorsFile f = ml::io::readSafetensors("model.safetensors");
#include "core/Tensor.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ml::io {

// Read: all four. Write: F32 and I64.
enum class DType { F32, F64, I32, I64 };

std::string dtypeName(DType dtype); // "F32", ...

struct NamedTensor {
    std::string name;
    // As stored in the file. F32 and F64 data arrive in f32 (F64 is
    // converted to float); I32 and I64 arrive in i64. The other vector
    // stays empty.
    DType dtype = DType::F32;
    std::vector<Index> shape; // [] is a scalar
    std::vector<float> f32;
    std::vector<std::int64_t> i64;

    bool isFloat() const { return dtype == DType::F32 || dtype == DType::F64; }
    Index numel() const { return Tensor::numel(shape); }
};

using Metadata = std::vector<std::pair<std::string, std::string>>;

struct SafetensorsFile {
    std::vector<NamedTensor> tensors; // in the header's order
    Metadata metadata;                // in the header's order

    // nullptr when absent.
    const NamedTensor* find(const std::string& name) const;
};

inline constexpr std::uint64_t kSafetensorsMaxHeader = 100'000'000; // bytes

// Throws ml::Error naming the file (and the tensor) on anything malformed.
SafetensorsFile readSafetensors(const std::string& path);

// Header keys and data in the order given. requires (else ml::Error):
// unique non-empty names other than "__metadata__", dtype F32 (data in f32)
// or I64 (data in i64), data size == product of shape, no negative dims,
// unique metadata keys. The header is padded with spaces to a multiple of
// 8 bytes so the data buffer is aligned, as the reference writer does.
void writeSafetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const Metadata& metadata = {});

} // namespace ml::io
