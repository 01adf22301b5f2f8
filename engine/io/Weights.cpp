#include "io/Weights.h"

#include "core/Error.h"

#include <set>

namespace ml::io {

std::vector<NamedTensor> storeToTensors(const ParameterStore& store) {
    std::vector<NamedTensor> out;
    for (const StoredTensor& t : store.tensors()) {
        NamedTensor n;
        n.name = t.name;
        n.shape = t.shape;
        if (t.dtype == ml::DType::Int64) {
            n.dtype = DType::I64;
            for (float v : t.value) n.i64.push_back(static_cast<std::int64_t>(v));
        } else {
            n.dtype = DType::F32;
            n.f32 = t.value;
        }
        out.push_back(std::move(n));
    }
    return out;
}

void saveWeights(const ParameterStore& store, const std::string& path, const Metadata& metadata) {
    writeSafetensors(path, storeToTensors(store), metadata);
}

void loadWeights(ParameterStore& store, const SafetensorsFile& file, const std::string& source) {
    std::vector<std::string> problems;
    std::set<int> loaded;
    for (const NamedTensor& n : file.tensors) {
        const int i = store.indexOf(n.name);
        if (i < 0) {
            problems.push_back("unexpected key '" + n.name + "'");
            continue;
        }
        const StoredTensor& t = store.at(i);
        if (n.shape != t.shape) {
            problems.push_back("size mismatch for " + n.name + ": the file has " + shapeToString(n.shape) +
                               ", the model " + shapeToString(t.shape));
            continue;
        }
        loaded.insert(i);
    }
    for (size_t i = 0; i < store.tensors().size(); ++i)
        if (!loaded.count(static_cast<int>(i))) problems.push_back("missing key '" + store.tensors()[i].name + "'");
    if (!problems.empty()) {
        std::string message = source + ": the weights do not fit the model:";
        for (const std::string& p : problems) message += "\n  " + p;
        throw Error(message);
    }
    for (const NamedTensor& n : file.tensors) {
        StoredTensor& t = store.at(store.indexOf(n.name));
        if (n.isFloat()) t.value = n.f32;
        else for (size_t k = 0; k < n.i64.size(); ++k) t.value[k] = static_cast<float>(n.i64[k]);
    }
}

void loadWeights(ParameterStore& store, const std::string& path) {
    loadWeights(store, readSafetensors(path), path);
}

} // namespace ml::io
