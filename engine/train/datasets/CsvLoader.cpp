#include "train/datasets/CsvLoader.h"

#include "core/Error.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace ml::data {
namespace {

struct Record {
    Index line = 0; // 1-based line where the record starts
    std::vector<std::string> fields;
};

bool isBlank(char c) { return c == ' ' || c == '\t'; }

std::string trim(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && isBlank(s[b])) ++b;
    while (e > b && isBlank(s[e - 1])) --e;
    return std::string(s.substr(b, e - b));
}

// RFC 4180 records (a quoted field may span lines). Lines holding only
// blanks are skipped.
std::vector<Record> parseRecords(const std::string& path, std::string_view text, char delimiter) {
    std::vector<Record> records;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3); // UTF-8 byte order mark
    size_t i = 0;
    Index line = 1;
    while (i < text.size()) {
        Record rec;
        rec.line = line;
        bool recordDone = false;
        bool anyContent = false;
        while (!recordDone) {
            std::string field;
            // Leading blanks before a possible opening quote.
            size_t j = i;
            while (j < text.size() && isBlank(text[j])) ++j;
            if (j < text.size() && text[j] == '"') {
                anyContent = true;
                i = j + 1;
                const Index quoteLine = line;
                for (;;) {
                    if (i >= text.size())
                        throw Error(path + ":" + std::to_string(quoteLine) + ": unterminated quoted field");
                    const char c = text[i++];
                    if (c == '"') {
                        if (i < text.size() && text[i] == '"') {
                            field += '"';
                            ++i;
                        } else {
                            break;
                        }
                    } else {
                        if (c == '\n') ++line;
                        field += c;
                    }
                }
                while (i < text.size() && isBlank(text[i])) ++i;
                if (i < text.size() && text[i] != delimiter && text[i] != '\n' && text[i] != '\r')
                    throw Error(path + ":" + std::to_string(line) + ": unexpected text after a closing quote");
            } else {
                size_t e = i;
                while (e < text.size() && text[e] != delimiter && text[e] != '\n' && text[e] != '\r') {
                    if (text[e] == '"')
                        throw Error(path + ":" + std::to_string(line) + ": quote inside an unquoted field");
                    ++e;
                }
                field = trim(text.substr(i, e - i));
                if (!field.empty()) anyContent = true;
                i = e;
            }
            rec.fields.push_back(std::move(field));
            if (i < text.size() && text[i] == delimiter) {
                anyContent = true;
                ++i;
                continue;
            }
            // End of record: newline (\n, \r\n or \r) or end of text.
            if (i < text.size() && text[i] == '\r') ++i;
            if (i < text.size() && text[i] == '\n') ++i;
            ++line;
            recordDone = true;
        }
        if (anyContent) records.push_back(std::move(rec));
    }
    return records;
}

std::string readFile(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw Error(path + ": no such file");
    if (!std::filesystem::is_regular_file(path, ec)) throw Error(path + ": not a regular file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot open file");
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw Error(path + ": read error");
    return ss.str();
}

float parseNumber(const std::string& where, const std::string& text) {
    if (text.empty()) throw Error(where + ": empty value");
    const char* b = text.data();
    const char* e = b + text.size();
    if (*b == '+') ++b; // from_chars does not take a leading '+'
    float v = 0.0f;
    const auto [ptr, ec] = std::from_chars(b, e, v);
    if (ec == std::errc::result_out_of_range)
        throw Error(where + ": '" + text + "' is out of range for a 32-bit float");
    if (ec != std::errc() || ptr != e) throw Error(where + ": cannot parse '" + text + "' as a number");
    if (!std::isfinite(v)) throw Error(where + ": '" + text + "' is not a finite number");
    return v;
}

bool parseInteger(const std::string& text, std::int64_t& out) {
    const char* b = text.data();
    const char* e = b + text.size();
    if (b != e && *b == '+') ++b;
    const auto [ptr, ec] = std::from_chars(b, e, out);
    return ec == std::errc() && ptr == e && b != e;
}

} // namespace

CsvData loadCsv(const std::string& path, const CsvOptions& options) {
    if (options.targets.empty()) throw Error(path + ": no target columns given");
    const std::string text = readFile(path);
    const std::vector<Record> records = parseRecords(path, text, options.delimiter);
    if (records.empty()) throw Error(path + ": empty file (no header row)");

    // Header.
    const Record& header = records[0];
    std::map<std::string, size_t> columnOf;
    for (size_t c = 0; c < header.fields.size(); ++c) {
        const std::string& name = header.fields[c];
        if (name.empty())
            throw Error(path + ":" + std::to_string(header.line) + ": column " + std::to_string(c + 1) +
                        " has an empty name");
        if (!columnOf.emplace(name, c).second)
            throw Error(path + ":" + std::to_string(header.line) + ": duplicate column name '" + name + "'");
    }
    const auto column = [&](const std::string& name) {
        const auto it = columnOf.find(name);
        if (it == columnOf.end()) {
            std::string known;
            for (const std::string& h : header.fields) known += (known.empty() ? "" : ", ") + h;
            throw Error(path + ": no column named '" + name + "' (columns: " + known + ")");
        }
        return it->second;
    };
    std::vector<size_t> targetCols;
    for (const CsvTargetSpec& t : options.targets) {
        const size_t c = column(t.column);
        if (std::find(targetCols.begin(), targetCols.end(), c) != targetCols.end())
            throw Error(path + ": column '" + t.column + "' is given as a target twice");
        targetCols.push_back(c);
    }
    std::vector<size_t> featureCols;
    if (options.featureColumns.empty()) {
        for (size_t c = 0; c < header.fields.size(); ++c)
            if (std::find(targetCols.begin(), targetCols.end(), c) == targetCols.end()) featureCols.push_back(c);
    } else {
        for (const std::string& name : options.featureColumns) {
            const size_t c = column(name);
            if (std::find(targetCols.begin(), targetCols.end(), c) != targetCols.end())
                throw Error(path + ": column '" + name + "' is both a feature and a target");
            if (std::find(featureCols.begin(), featureCols.end(), c) != featureCols.end())
                throw Error(path + ": column '" + name + "' is given as a feature twice");
            featureCols.push_back(c);
        }
    }
    if (featureCols.empty()) throw Error(path + ": no feature columns (every column is a target)");
    if (records.size() == 1) throw Error(path + ": no data rows after the header");

    // Rows.
    const Index count = static_cast<Index>(records.size() - 1);
    const Index k = static_cast<Index>(featureCols.size());
    Dataset d;
    d.name = std::filesystem::path(path).stem().string();
    d.source = path;
    d.features = Tensor({count, k});
    std::vector<std::vector<std::string>> labels(options.targets.size());
    for (size_t t = 0; t < options.targets.size(); ++t) {
        Target target;
        target.name = options.targets[t].column;
        target.kind = options.targets[t].kind;
        if (target.kind == TargetKind::Values) target.values = Tensor({count, 1});
        else labels[t].reserve(static_cast<size_t>(count));
        d.targets.push_back(std::move(target));
    }
    for (Index r = 0; r < count; ++r) {
        const Record& rec = records[static_cast<size_t>(r) + 1];
        const std::string at = path + ":" + std::to_string(rec.line);
        if (rec.fields.size() != header.fields.size())
            throw Error(at + ": expected " + std::to_string(header.fields.size()) + " fields, found " +
                        std::to_string(rec.fields.size()));
        for (Index j = 0; j < k; ++j) {
            const size_t c = featureCols[static_cast<size_t>(j)];
            d.features.data[static_cast<size_t>(r * k + j)] =
                parseNumber(at + ": column '" + header.fields[c] + "'", rec.fields[c]);
        }
        for (size_t t = 0; t < options.targets.size(); ++t) {
            const size_t c = targetCols[t];
            const std::string where = at + ": column '" + header.fields[c] + "'";
            if (d.targets[t].kind == TargetKind::Values) {
                d.targets[t].values.data[static_cast<size_t>(r)] = parseNumber(where, rec.fields[c]);
            } else {
                if (rec.fields[c].empty()) throw Error(where + ": empty label");
                labels[t].push_back(rec.fields[c]);
            }
        }
    }

    // Class labels -> indices: sorted, numerically when all are integers.
    for (size_t t = 0; t < options.targets.size(); ++t) {
        Target& target = d.targets[t];
        if (target.kind != TargetKind::Classes) continue;
        std::vector<std::int64_t> asInt(labels[t].size());
        bool allInt = true;
        for (size_t i = 0; i < labels[t].size() && allInt; ++i) allInt = parseInteger(labels[t][i], asInt[i]);
        target.classes.resize(labels[t].size());
        if (allInt) {
            std::map<std::int64_t, std::int64_t> index;
            for (std::int64_t v : asInt) index.emplace(v, 0);
            for (auto& [value, id] : index) {
                id = static_cast<std::int64_t>(target.classNames.size());
                target.classNames.push_back(std::to_string(value));
            }
            for (size_t i = 0; i < asInt.size(); ++i) target.classes[i] = index[asInt[i]];
        } else {
            std::map<std::string, std::int64_t> index;
            for (const std::string& s : labels[t]) index.emplace(s, 0);
            for (auto& [name, id] : index) {
                id = static_cast<std::int64_t>(target.classNames.size());
                target.classNames.push_back(name);
            }
            for (size_t i = 0; i < labels[t].size(); ++i) target.classes[i] = index[labels[t][i]];
        }
        target.classCount = static_cast<Index>(target.classNames.size());
    }
    d.validate();

    CsvData out;
    if (options.validationFraction == 0.0) {
        out.validation = d.subset({});
        out.train = std::move(d);
    } else {
        std::tie(out.train, out.validation) = splitTrainValidation(d, options.validationFraction, options.splitSeed);
        if (out.train.count() == 0)
            throw Error(path + ": validation fraction " + std::to_string(options.validationFraction) + " leaves no rows for training");
    }
    if (options.standardize) {
        out.standardizer = Standardizer::fit(out.train.features);
        out.standardizer.apply(out.train.features);
        out.standardizer.apply(out.validation.features);
    }
    return out;
}

} // namespace ml::data
