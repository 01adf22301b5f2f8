#include "train/datasets/IdxReader.h"

#include "core/Error.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>

namespace ml::data {
namespace {

constexpr std::uint32_t kImageMagic = 0x00000803;
constexpr std::uint32_t kLabelMagic = 0x00000801;

std::string hex32(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

// One open IDX file (gzip or plain), closed on scope exit.
class GzFile {
public:
    explicit GzFile(const std::string& path) : m_path(path) {
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) throw Error(path + ": no such file");
        if (!std::filesystem::is_regular_file(path, ec)) throw Error(path + ": not a regular file");
        m_file = gzopen(path.c_str(), "rb");
        if (!m_file) throw Error(path + ": cannot open file");
    }
    ~GzFile() {
        if (m_file) gzclose(m_file);
    }
    GzFile(const GzFile&) = delete;
    GzFile& operator=(const GzFile&) = delete;

    // Reads up to n bytes; returns how many were read (short only at EOF).
    std::size_t read(std::uint8_t* out, std::size_t n) {
        std::size_t total = 0;
        while (total < n) {
            const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - total, 1u << 20));
            const int got = gzread(m_file, out + total, chunk);
            if (got > 0) total += static_cast<std::size_t>(got);
            // A gzip stream cut short returns its data, then 0 with
            // Z_BUF_ERROR set: the error must be checked on short reads too.
            if (got <= 0 || static_cast<unsigned>(got) < chunk) {
                checkError();
                if (got <= 0) break;
            }
        }
        return total;
    }

    void checkError() {
        int code = Z_OK;
        const char* message = gzerror(m_file, &code);
        if (code == Z_OK || code == Z_STREAM_END) return;
        // zlib's message starts with the path itself; keep only its reason.
        std::string reason = message ? message : "";
        if (reason.rfind(m_path + ": ", 0) == 0) reason.erase(0, m_path.size() + 2);
        if (code == Z_ERRNO) throw Error(m_path + ": read error: " + std::strerror(errno));
        throw Error(m_path + ": corrupt or truncated gzip data (" + reason + ")");
    }

    // Reads the big-endian u32 header fields; a short header is an error.
    std::vector<std::uint32_t> readHeader(std::size_t fields) {
        std::uint8_t bytes[16];
        ML_ASSERT(fields * 4 <= sizeof bytes);
        const std::size_t got = read(bytes, fields * 4);
        if (got < fields * 4)
            throw Error(m_path + ": truncated header (expected " + std::to_string(fields * 4) + " bytes, found " +
                        std::to_string(got) + ")");
        std::vector<std::uint32_t> out(fields);
        for (std::size_t i = 0; i < fields; ++i)
            out[i] = (std::uint32_t(bytes[4 * i]) << 24) | (std::uint32_t(bytes[4 * i + 1]) << 16) |
                     (std::uint32_t(bytes[4 * i + 2]) << 8) | std::uint32_t(bytes[4 * i + 3]);
        return out;
    }

    // Reads exactly n bytes into a buffer that grows only as data arrives,
    // so a header promising more than the file holds never allocates it.
    // Returns the bytes read; the caller reports a short read.
    std::vector<std::uint8_t> readUpTo(std::size_t n) {
        std::vector<std::uint8_t> data;
        constexpr std::size_t kChunk = 4u << 20;
        while (data.size() < n) {
            const std::size_t want = std::min(kChunk, n - data.size());
            const std::size_t old = data.size();
            data.resize(old + want);
            const std::size_t got = read(data.data() + old, want);
            data.resize(old + got);
            if (got < want) break;
        }
        return data;
    }

    bool atEnd() {
        std::uint8_t extra;
        return read(&extra, 1) == 0;
    }

private:
    std::string m_path;
    gzFile m_file = nullptr;
};

// The magic's first two bytes are zero and the third is the element type
// (0x08 = unsigned byte); the fourth is the dimension count.
void checkMagic(const std::string& path, std::uint32_t magic, std::uint32_t expected, const char* what) {
    if (magic == expected) return;
    if ((magic & 0xffffff00u) == (expected & 0xffffff00u))
        throw Error(path + ": IDX " + what + " file must have " + std::to_string(expected & 0xffu) +
                    " dimension" + ((expected & 0xffu) == 1 ? "" : "s") + ", header says " +
                    std::to_string(magic & 0xffu));
    throw Error(path + ": not an IDX " + what + " file (magic " + hex32(magic) + ", expected " + hex32(expected) + ")");
}

std::string resolve(const std::filesystem::path& folder, const std::string& name) {
    std::error_code ec;
    const std::filesystem::path plain = folder / name;
    if (std::filesystem::exists(plain, ec)) return plain.string();
    const std::filesystem::path gz = folder / (name + ".gz");
    if (std::filesystem::exists(gz, ec)) return gz.string();
    throw Error(folder.string() + ": missing " + name + " (or " + name + ".gz)");
}

} // namespace

IdxImages readIdxImages(const std::string& path) {
    GzFile file(path);
    const std::uint32_t magic = file.readHeader(1)[0];
    checkMagic(path, magic, kImageMagic, "image");
    const std::vector<std::uint32_t> dims = file.readHeader(3);
    IdxImages out;
    out.count = dims[0];
    out.rows = dims[1];
    out.cols = dims[2];
    if (out.count == 0) throw Error(path + ": header says 0 images");
    if (out.rows < 1 || out.rows > kIdxMaxSide || out.cols < 1 || out.cols > kIdxMaxSide)
        throw Error(path + ": image size " + std::to_string(out.rows) + "x" + std::to_string(out.cols) +
                    " is out of range (rows and cols must be 1.." + std::to_string(kIdxMaxSide) + ")");
    const Index total = out.count * out.rows * out.cols; // < 2^32 * 2^24: no overflow
    if (total > kIdxMaxElements)
        throw Error(path + ": " + std::to_string(out.count) + " images of " + std::to_string(out.rows) + "x" +
                    std::to_string(out.cols) + " are " + std::to_string(total) + " bytes, more than the limit of " +
                    std::to_string(kIdxMaxElements));
    out.pixels = file.readUpTo(static_cast<std::size_t>(total));
    if (static_cast<Index>(out.pixels.size()) < total)
        throw Error(path + ": truncated: header says " + std::to_string(out.count) + " images of " +
                    std::to_string(out.rows) + "x" + std::to_string(out.cols) + " (" + std::to_string(total) +
                    " bytes), file holds " + std::to_string(out.pixels.size()) + " bytes of pixel data");
    if (!file.atEnd())
        throw Error(path + ": more data than the header declares (" + std::to_string(out.count) + " images of " +
                    std::to_string(out.rows) + "x" + std::to_string(out.cols) + ")");
    return out;
}

std::vector<std::uint8_t> readIdxLabels(const std::string& path) {
    GzFile file(path);
    const std::uint32_t magic = file.readHeader(1)[0];
    checkMagic(path, magic, kLabelMagic, "label");
    const Index count = file.readHeader(1)[0];
    if (count == 0) throw Error(path + ": header says 0 labels");
    if (count > kIdxMaxElements)
        throw Error(path + ": " + std::to_string(count) + " labels are more than the limit of " +
                    std::to_string(kIdxMaxElements));
    std::vector<std::uint8_t> labels = file.readUpTo(static_cast<std::size_t>(count));
    if (static_cast<Index>(labels.size()) < count)
        throw Error(path + ": truncated: header says " + std::to_string(count) + " labels, file holds " +
                    std::to_string(labels.size()));
    if (!file.atEnd())
        throw Error(path + ": more data than the header declares (" + std::to_string(count) + " labels)");
    return labels;
}

Dataset loadIdxPair(const std::string& imagesPath, const std::string& labelsPath, const std::string& name,
                    Index minClassCount) {
    // Labels first: they are small, and a mismatch is then found before
    // the images are scaled.
    const std::vector<std::uint8_t> labels = readIdxLabels(labelsPath);
    const IdxImages images = readIdxImages(imagesPath);
    if (images.count != static_cast<Index>(labels.size()))
        throw Error(imagesPath + ": " + std::to_string(images.count) + " images but " + labelsPath + " has " +
                    std::to_string(labels.size()) + " labels");
    Dataset d;
    d.name = name;
    d.source = imagesPath + " + " + labelsPath;
    d.features = Tensor({images.count, 1, images.rows, images.cols});
    float* x = d.features.ptr();
    for (std::size_t i = 0; i < images.pixels.size(); ++i) x[i] = images.pixels[i] * (1.0f / 255.0f);
    Target t;
    t.name = "label";
    t.kind = TargetKind::Classes;
    t.classes.assign(labels.begin(), labels.end());
    t.classCount = std::max<Index>(minClassCount, *std::max_element(labels.begin(), labels.end()) + 1);
    d.targets.push_back(std::move(t));
    return d;
}

IdxFolder loadIdxFolder(const std::string& folder, const IdxOptions& options) {
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec)) throw Error(folder + ": no such folder");
    const std::filesystem::path dir(folder);
    std::string base = dir.filename().string();
    if (base.empty()) base = dir.parent_path().filename().string(); // "a/b/" -> "b"
    IdxFolder out;
    out.train = loadIdxPair(resolve(dir, "train-images-idx3-ubyte"), resolve(dir, "train-labels-idx1-ubyte"),
                            base + "/train");
    out.test = loadIdxPair(resolve(dir, "t10k-images-idx3-ubyte"), resolve(dir, "t10k-labels-idx1-ubyte"),
                           base + "/test");
    if (out.train.sampleShape() != out.test.sampleShape())
        throw Error(folder + ": training images are " + shapeToString(out.train.sampleShape()) +
                    " but test images are " + shapeToString(out.test.sampleShape()));
    const Index classes = std::max(out.train.targets[0].classCount, out.test.targets[0].classCount);
    out.train.targets[0].classCount = out.test.targets[0].classCount = classes;

    if (options.normalize) {
        float mean = options.mean, std = options.std;
        if (!(std > 0.0f)) { // statistics of the training images only
            double sum = 0.0, sumSq = 0.0;
            for (float v : out.train.features.data) {
                sum += v;
                sumSq += double(v) * v;
            }
            const double n = static_cast<double>(out.train.features.numel());
            mean = static_cast<float>(sum / n);
            std = static_cast<float>(std::sqrt(std::max(0.0, sumSq / n - (sum / n) * (sum / n))));
            if (!(std > 0.0f)) throw Error(folder + ": training images are constant; cannot normalize");
        }
        if (!std::isfinite(mean) || !std::isfinite(std))
            throw Error(folder + ": normalization mean and std must be finite");
        for (Dataset* d : {&out.train, &out.test})
            for (float& v : d->features.data) v = (v - mean) / std;
        out.mean = mean;
        out.std = std;
    }
    return out;
}

} // namespace ml::data
