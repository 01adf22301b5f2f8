#include "io/Safetensors.h"

#include "core/Error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

namespace ml::io {

// The format is little-endian; data is copied to and from memory as is.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

namespace {

using Json = nlohmann::ordered_json;

std::uint64_t dtypeSize(DType d) { return d == DType::F32 || d == DType::I32 ? 4 : 8; }

bool parseDType(const std::string& s, DType& out) {
    static const std::pair<const char*, DType> names[] = {
        {"F32", DType::F32}, {"F64", DType::F64}, {"I32", DType::I32}, {"I64", DType::I64}};
    for (const auto& [name, d] : names)
        if (s == name) {
            out = d;
            return true;
        }
    return false;
}

std::string offsetsText(std::uint64_t begin, std::uint64_t end) {
    // Appended piecewise: GCC 12 at -O3 gives a false -Wrestrict on
    // "[" + std::to_string(...) (GCC bug 105329).
    std::string s = "[";
    s += std::to_string(begin);
    s += ", ";
    s += std::to_string(end);
    s += "]";
    return s;
}

struct Entry {
    size_t tensor; // index into SafetensorsFile::tensors
    std::uint64_t begin, end;
};

void readExactly(std::ifstream& in, const std::string& path, char* out, std::uint64_t n, std::uint64_t at) {
    in.seekg(static_cast<std::streamoff>(at));
    in.read(out, static_cast<std::streamsize>(n));
    if (!in || static_cast<std::uint64_t>(in.gcount()) != n) throw Error(path + ": read error");
}

} // namespace

std::string dtypeName(DType dtype) {
    switch (dtype) {
    case DType::F32: return "F32";
    case DType::F64: return "F64";
    case DType::I32: return "I32";
    case DType::I64: return "I64";
    }
    return "?";
}

const NamedTensor* SafetensorsFile::find(const std::string& name) const {
    for (const NamedTensor& t : tensors)
        if (t.name == name) return &t;
    return nullptr;
}

SafetensorsFile readSafetensors(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw Error(path + ": no such file");
    if (!std::filesystem::is_regular_file(path, ec)) throw Error(path + ": not a regular file");
    const std::uint64_t fileSize = std::filesystem::file_size(path, ec);
    if (ec) throw Error(path + ": cannot read file size");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot open file");

    if (fileSize < 8)
        throw Error(path + ": too short to be a safetensors file (" + std::to_string(fileSize) +
                    " bytes, the 8-byte header length is missing)");
    unsigned char lengthBytes[8];
    readExactly(in, path, reinterpret_cast<char*>(lengthBytes), 8, 0);
    std::uint64_t headerLength = 0;
    for (int i = 7; i >= 0; --i) headerLength = (headerLength << 8) | lengthBytes[i];
    if (headerLength > kSafetensorsMaxHeader)
        throw Error(path + ": header length " + std::to_string(headerLength) + " exceeds the limit of " +
                    std::to_string(kSafetensorsMaxHeader) + " bytes");
    if (headerLength > fileSize - 8)
        throw Error(path + ": header length " + std::to_string(headerLength) + " runs past the end of the file (" +
                    std::to_string(fileSize) + " bytes)");
    std::string headerText(static_cast<size_t>(headerLength), '\0');
    readExactly(in, path, headerText.data(), headerLength, 8);
    const std::uint64_t dataStart = 8 + headerLength;
    const std::uint64_t dataSize = fileSize - dataStart;

    // JSON objects may repeat a key and the parser keeps the last; the
    // format forbids that, so top-level keys are collected while parsing.
    std::set<std::string> seen;
    std::string duplicate;
    const Json::parser_callback_t noteKeys = [&](int depth, Json::parse_event_t event, Json& parsed) {
        if (event == Json::parse_event_t::key && depth == 1 && !seen.insert(parsed.get<std::string>()).second &&
            duplicate.empty())
            duplicate = parsed.get<std::string>();
        return true;
    };
    Json header;
    try {
        header = Json::parse(headerText, noteKeys);
    } catch (const Json::parse_error& e) {
        throw Error(path + ": header is not valid JSON (parse error at byte " + std::to_string(e.byte) + ")");
    }
    if (!header.is_object()) throw Error(path + ": header is not a JSON object");
    if (!duplicate.empty()) throw Error(path + ": header lists '" + duplicate + "' twice");

    SafetensorsFile out;
    std::vector<Entry> entries;
    for (const auto& [key, value] : header.items()) {
        if (key == "__metadata__") {
            if (!value.is_object()) throw Error(path + ": __metadata__ is not a JSON object");
            for (const auto& [mk, mv] : value.items()) {
                if (!mv.is_string()) throw Error(path + ": __metadata__ value of '" + mk + "' is not a string");
                out.metadata.emplace_back(mk, mv.get<std::string>());
            }
            continue;
        }
        const std::string at = path + ": tensor '" + key + "'";
        if (!value.is_object()) throw Error(at + ": entry is not a JSON object");
        NamedTensor t;
        t.name = key;

        const auto dtypeIt = value.find("dtype");
        if (dtypeIt == value.end() || !dtypeIt->is_string()) throw Error(at + ": missing string field 'dtype'");
        const std::string dtype = dtypeIt->get<std::string>();
        if (!parseDType(dtype, t.dtype))
            throw Error(at + ": unsupported dtype '" + dtype + "' (supported: F32, F64, I32, I64)");

        const auto shapeIt = value.find("shape");
        if (shapeIt == value.end() || !shapeIt->is_array())
            throw Error(at + ": shape must be an array of non-negative integers");
        std::uint64_t numel = 1;
        bool overflow = false;
        for (const Json& dim : *shapeIt) {
            if (!dim.is_number_unsigned()) throw Error(at + ": shape must be an array of non-negative integers");
            const std::uint64_t d = dim.get<std::uint64_t>();
            overflow |= d > static_cast<std::uint64_t>(INT64_MAX) || __builtin_mul_overflow(numel, d, &numel);
            t.shape.push_back(static_cast<Index>(d));
        }
        std::uint64_t bytes = 0;
        overflow |= __builtin_mul_overflow(numel, dtypeSize(t.dtype), &bytes) || numel > INT64_MAX;
        if (overflow) throw Error(at + ": shape " + shapeIt->dump() + " is too large");

        const auto offIt = value.find("data_offsets");
        if (offIt == value.end() || !offIt->is_array() || offIt->size() != 2 || !(*offIt)[0].is_number_unsigned() ||
            !(*offIt)[1].is_number_unsigned() || (*offIt)[0].get<std::uint64_t>() > (*offIt)[1].get<std::uint64_t>())
            throw Error(at + ": data_offsets must be [begin, end] with 0 <= begin <= end");
        const std::uint64_t begin = (*offIt)[0].get<std::uint64_t>(), end = (*offIt)[1].get<std::uint64_t>();
        if (end > dataSize)
            throw Error(at + ": data_offsets " + offsetsText(begin, end) + " run past the end of the data buffer (" +
                        std::to_string(dataSize) + " bytes)");
        if (end - begin != bytes)
            throw Error(at + ": data_offsets " + offsetsText(begin, end) + " hold " + std::to_string(end - begin) +
                        " bytes but " + dtype + " " + shapeToString(t.shape) + " needs " + std::to_string(bytes));
        entries.push_back({out.tensors.size(), begin, end});
        out.tensors.push_back(std::move(t));
    }

    // The tensors must tile the data buffer exactly: no overlap, no holes.
    std::vector<Entry> byOffset = entries;
    std::sort(byOffset.begin(), byOffset.end(),
              [](const Entry& a, const Entry& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
    std::uint64_t covered = 0;
    const Entry* previous = nullptr;
    for (const Entry& e : byOffset) {
        if (e.begin < covered)
            throw Error(path + ": tensors '" + out.tensors[previous->tensor].name + "' " +
                        offsetsText(previous->begin, previous->end) + " and '" + out.tensors[e.tensor].name + "' " +
                        offsetsText(e.begin, e.end) + " overlap in the data buffer");
        if (e.begin > covered)
            throw Error(path + ": bytes " + offsetsText(covered, e.begin) +
                        " of the data buffer belong to no tensor (the format allows no holes)");
        covered = e.end;
        if (e.end > e.begin || !previous) previous = &e;
    }
    if (covered != dataSize)
        throw Error(path + ": bytes " + offsetsText(covered, dataSize) +
                    " of the data buffer belong to no tensor (the format allows no holes)");

    std::vector<char> buffer;
    for (const Entry& e : entries) {
        NamedTensor& t = out.tensors[e.tensor];
        const size_t n = static_cast<size_t>(t.numel());
        buffer.resize(static_cast<size_t>(e.end - e.begin));
        if (!buffer.empty()) readExactly(in, path, buffer.data(), buffer.size(), dataStart + e.begin);
        switch (t.dtype) {
        case DType::F32:
            t.f32.resize(n);
            if (n) std::memcpy(t.f32.data(), buffer.data(), buffer.size());
            break;
        case DType::F64:
            t.f32.resize(n);
            for (size_t i = 0; i < n; ++i) {
                double v;
                std::memcpy(&v, buffer.data() + 8 * i, 8);
                t.f32[i] = static_cast<float>(v);
            }
            break;
        case DType::I32:
            t.i64.resize(n);
            for (size_t i = 0; i < n; ++i) {
                std::int32_t v;
                std::memcpy(&v, buffer.data() + 4 * i, 4);
                t.i64[i] = v;
            }
            break;
        case DType::I64:
            t.i64.resize(n);
            if (n) std::memcpy(t.i64.data(), buffer.data(), buffer.size());
            break;
        }
    }
    return out;
}

void writeSafetensors(const std::string& path, const std::vector<NamedTensor>& tensors, const Metadata& metadata) {
    Json header = Json::object();
    if (!metadata.empty()) {
        Json meta = Json::object();
        for (const auto& [k, v] : metadata) {
            if (meta.contains(k)) throw Error(path + ": metadata key '" + k + "' is given twice");
            meta[k] = v;
        }
        header["__metadata__"] = std::move(meta);
    }
    std::uint64_t offset = 0;
    for (const NamedTensor& t : tensors) {
        const std::string at = path + ": tensor '" + t.name + "'";
        if (t.name.empty()) throw Error(path + ": a tensor has an empty name");
        if (t.name == "__metadata__") throw Error(at + ": the name is reserved for metadata");
        if (header.contains(t.name)) throw Error(at + ": the name is given twice");
        for (Index d : t.shape)
            if (d < 0) throw Error(at + ": shape " + shapeToString(t.shape) + " has a negative dimension");
        if (t.dtype != DType::F32 && t.dtype != DType::I64)
            throw Error(at + ": cannot write dtype " + dtypeName(t.dtype) + " (F32 and I64 only)");
        const size_t have = t.dtype == DType::F32 ? t.f32.size() : t.i64.size();
        if (static_cast<Index>(have) != t.numel())
            throw Error(at + ": " + std::to_string(have) + " values for shape " + shapeToString(t.shape));
        const std::uint64_t bytes = static_cast<std::uint64_t>(have) * dtypeSize(t.dtype);
        Json entry = Json::object();
        entry["dtype"] = dtypeName(t.dtype);
        entry["shape"] = t.shape;
        entry["data_offsets"] = {offset, offset + bytes};
        header[t.name] = std::move(entry);
        offset += bytes;
    }
    std::string headerText = header.dump();
    headerText.append((8 - headerText.size() % 8) % 8, ' ');

    // Temporary file in the same folder, then rename: a reader never sees
    // a half-written file, and a failed write leaves the old file intact.
    std::random_device random;
    const std::string temp = path + ".partial-" + std::to_string(random());
    try {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out) throw Error(path + ": cannot create " + temp);
        unsigned char lengthBytes[8];
        std::uint64_t n = headerText.size();
        for (unsigned char& b : lengthBytes) {
            b = static_cast<unsigned char>(n & 0xff);
            n >>= 8;
        }
        out.write(reinterpret_cast<const char*>(lengthBytes), 8);
        out.write(headerText.data(), static_cast<std::streamsize>(headerText.size()));
        for (const NamedTensor& t : tensors) {
            if (t.dtype == DType::F32)
                out.write(reinterpret_cast<const char*>(t.f32.data()),
                          static_cast<std::streamsize>(t.f32.size() * sizeof(float)));
            else
                out.write(reinterpret_cast<const char*>(t.i64.data()),
                          static_cast<std::streamsize>(t.i64.size() * sizeof(std::int64_t)));
        }
        out.close();
        if (!out) throw Error(path + ": write error (disk full?)");
        std::error_code ec;
        std::filesystem::rename(temp, path, ec);
        if (ec) throw Error(path + ": cannot replace the file: " + ec.message());
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(temp, ignored);
        throw;
    }
}

} // namespace ml::io
