#pragma once
// CSV files as datasets. The first row names the columns; features and
// targets are chosen by name. Fields may be quoted ("a, b", "say ""hi""");
// spaces around unquoted fields are ignored; blank lines are skipped.
// Every problem is an ml::Error naming the file, the 1-based line and the
// column, e.g. "iris.csv:7: column 'petal_width': cannot parse 'abc' as a number".
#include "train/datasets/Dataset.h"
#include "train/datasets/Standardizer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ml::data {

struct CsvTargetSpec {
    std::string column;
    // Classes: any labels (strings or integers) mapped to 0..K-1 in sorted
    // order (numeric order when every label is an integer), the mapping kept
    // in Target::classNames. Values: a number per row, a [count, 1] target.
    TargetKind kind = TargetKind::Classes;
};

struct CsvOptions {
    std::vector<CsvTargetSpec> targets;      // at least one
    std::vector<std::string> featureColumns; // empty: every column that is not a target
    char delimiter = ',';
    // Rows go to validation by a seeded shuffle (splitTrainValidation); with
    // 0 the training set keeps the file's order and validation is empty.
    double validationFraction = 0.0;
    std::uint64_t splitSeed = 0;
    // Standardize features with the mean and std of the training rows only.
    bool standardize = false;
};

struct CsvData {
    Dataset train;             // features [count, features]
    Dataset validation;        // same columns; count 0 without a split
    Standardizer standardizer; // empty unless options.standardize; already applied to both
};

CsvData loadCsv(const std::string& path, const CsvOptions& options);

} // namespace ml::data
