// Datasets: the Dataset container (shuffle, split, batching), the seeded
// synthetic generators, the IDX (MNIST) reader, the CSV loader and the
// standardizer. Bad files are made in the test and every error message is
// compared in full.
#include "core/Error.h"
#include "train/datasets/CsvLoader.h"
#include "train/datasets/Dataset.h"
#include "train/datasets/IdxReader.h"
#include "train/datasets/Standardizer.h"
#include "train/datasets/SyntheticDatasets.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>
#include <set>

using namespace ml;
using namespace ml::data;

namespace {

QString errorOf(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const ml::Error& e) {
        return QString::fromStdString(e.what());
    }
    return QStringLiteral("<no error>");
}

void writeBytes(const QString& path, const QByteArray& bytes, bool gzip = false) {
    if (gzip) {
        gzFile f = gzopen(path.toLocal8Bit().constData(), "wb");
        QVERIFY(f);
        if (!bytes.isEmpty()) QCOMPARE(gzwrite(f, bytes.constData(), unsigned(bytes.size())), int(bytes.size()));
        QCOMPARE(gzclose(f), Z_OK);
        return;
    }
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(bytes), bytes.size());
}

QByteArray be32(quint32 v) {
    QByteArray b(4, '\0');
    for (int i = 0; i < 4; ++i) b[i] = char((v >> (24 - 8 * i)) & 0xff);
    return b;
}

QByteArray idxImages(quint32 count, quint32 rows, quint32 cols, const QByteArray& pixels) {
    return be32(0x803) + be32(count) + be32(rows) + be32(cols) + pixels;
}

QByteArray idxLabels(quint32 count, const QByteArray& labels) { return be32(0x801) + be32(count) + labels; }

QByteArray ramp(int n, int mul = 7) {
    QByteArray b(n, '\0');
    for (int i = 0; i < n; ++i) b[i] = char((i * mul) % 256);
    return b;
}

bool sameData(const Dataset& a, const Dataset& b) {
    if (a.features.shape != b.features.shape || a.features.data != b.features.data) return false;
    if (a.targets.size() != b.targets.size()) return false;
    for (size_t t = 0; t < a.targets.size(); ++t)
        if (a.targets[t].classes != b.targets[t].classes || a.targets[t].values.data != b.targets[t].values.data)
            return false;
    return true;
}

std::vector<Index> classCounts(const Target& t) {
    std::vector<Index> counts(static_cast<size_t>(t.classCount), 0);
    for (std::int64_t c : t.classes) ++counts[static_cast<size_t>(c)];
    return counts;
}

// features [n, 2] = (i, -i); "cls" = i % 3; "val" = [10 i, 10 i + 1]: every
// row says which row it came from.
Dataset indexed(Index n) {
    Dataset d;
    d.name = "idx";
    d.features = Tensor({n, 2});
    Target cls{"cls", TargetKind::Classes, 3, {}, {}, {}};
    Target val{"val", TargetKind::Values, 0, {}, {}, Tensor({n, 2})};
    for (Index i = 0; i < n; ++i) {
        d.features.data[2 * i] = float(i);
        d.features.data[2 * i + 1] = float(-i);
        cls.classes.push_back(i % 3);
        val.values.data[2 * i] = float(10 * i);
        val.values.data[2 * i + 1] = float(10 * i + 1);
    }
    d.targets = {cls, val};
    return d;
}

void checkRowsConsistent(const Dataset& d) {
    for (Index r = 0; r < d.count(); ++r) {
        const Index i = Index(d.features.data[2 * r]);
        QCOMPARE(d.features.data[2 * r + 1], float(-i));
        QCOMPARE(d.targets[0].classes[r], std::int64_t(i % 3));
        QCOMPARE(d.targets[1].values.data[2 * r], float(10 * i));
        QCOMPARE(d.targets[1].values.data[2 * r + 1], float(10 * i + 1));
    }
}

using Maker = std::function<Dataset(std::uint64_t seed)>;

} // namespace

Q_DECLARE_METATYPE(Maker)

class TestDatasets : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // ---------------------------------------------------------- Dataset
    void shuffledIndicesArePermutationsFixedBySeed() {
        const std::vector<Index> a = shuffledIndices(50, 3), b = shuffledIndices(50, 3), c = shuffledIndices(50, 4);
        QCOMPARE(a, b);
        QVERIFY(a != c);
        std::vector<Index> sorted = a;
        std::sort(sorted.begin(), sorted.end());
        std::vector<Index> iota(50);
        std::iota(iota.begin(), iota.end(), 0);
        QCOMPARE(sorted, iota);
        QVERIFY(a != iota);
    }

    void shuffleKeepsRowsTogether() {
        Dataset d = indexed(30);
        shuffle(d, 11);
        QCOMPARE(d.count(), Index(30));
        QVERIFY(d.features.data[0] != 0.0f || d.features.data[2] != 1.0f); // order changed
        checkRowsConsistent(d);
        std::vector<Index> expected = shuffledIndices(30, 11);
        for (Index r = 0; r < 30; ++r) QCOMPARE(Index(d.features.data[2 * r]), expected[r]);
    }

    void splitIsDisjointCompleteAndSeeded() {
        const Dataset d = indexed(100);
        auto [train, val] = splitTrainValidation(d, 0.25, 5);
        QCOMPARE(train.count(), Index(75));
        QCOMPARE(val.count(), Index(25));
        QCOMPARE(train.name, std::string("idx/train"));
        QCOMPARE(val.name, std::string("idx/validation"));
        checkRowsConsistent(train);
        checkRowsConsistent(val);
        std::set<Index> rows;
        for (const Dataset* part : {&train, &val})
            for (Index r = 0; r < part->count(); ++r) rows.insert(Index(part->features.data[2 * r]));
        QCOMPARE(rows.size(), size_t(100));
        auto [train2, val2] = splitTrainValidation(d, 0.25, 5);
        QVERIFY(sameData(val, val2));
        auto [train3, val3] = splitTrainValidation(d, 0.25, 6);
        QVERIFY(!sameData(val, val3));
        // 0.125 of 10 rounds to 1 row.
        QCOMPARE(splitTrainValidation(indexed(10), 0.125, 1).second.count(), Index(1));
        QCOMPARE(errorOf([&] { splitTrainValidation(d, 1.0, 1); }),
                 QString("dataset 'idx': validation fraction 1.000000 must be in [0, 1)"));
    }

    void validateNamesTheProblem() {
        Dataset d = indexed(4);
        d.validate();
        d.targets[0].classes[2] = 3;
        QCOMPARE(errorOf([&] { d.validate(); }),
                 QString("dataset 'idx', target 'cls': row 2 has class 3, outside [0, 3)"));
        d = indexed(4);
        d.targets[1].values = Tensor({3, 2});
        QCOMPARE(errorOf([&] { d.validate(); }), QString("dataset 'idx', target 'val': 3 rows but features have 4"));
        QCOMPARE(errorOf([&] { indexed(2).target("nope"); }),
                 QString("dataset 'idx': no target named 'nope' (targets: cls, val)"));
        QCOMPARE(indexed(2).target("val").width(), Index(2));
    }

    void samplerCoversEveryRowOncePerEpoch() {
        BatchSampler s(10, 4, true, 9);
        QCOMPARE(s.batchesPerEpoch(), Index(3));
        std::vector<std::vector<Index>> epochs(2);
        for (int e = 0; e < 2; ++e) {
            std::vector<size_t> sizes;
            for (auto rows = s.next(); !rows.empty(); rows = s.next()) {
                sizes.push_back(rows.size());
                epochs[e].insert(epochs[e].end(), rows.begin(), rows.end());
            }
            QCOMPARE(sizes, (std::vector<size_t>{4, 4, 2}));
            QCOMPARE(s.epoch(), Index(e + 1));
            std::vector<Index> sorted = epochs[e];
            std::sort(sorted.begin(), sorted.end());
            QCOMPARE(sorted, (std::vector<Index>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
        }
        QVERIFY(epochs[0] != epochs[1]); // reshuffled each epoch
        BatchSampler again(10, 4, true, 9);
        std::vector<Index> first;
        for (auto rows = again.next(); !rows.empty(); rows = again.next()) first.insert(first.end(), rows.begin(), rows.end());
        QCOMPARE(first, epochs[0]);

        BatchSampler ordered(5, 2, false, 0, true);
        QCOMPARE(ordered.batchesPerEpoch(), Index(2));
        auto r1 = ordered.next();
        QCOMPARE(std::vector<Index>(r1.begin(), r1.end()), (std::vector<Index>{0, 1}));
        auto r2 = ordered.next();
        QCOMPARE(std::vector<Index>(r2.begin(), r2.end()), (std::vector<Index>{2, 3}));
        QVERIFY(ordered.next().empty()); // row 4 dropped
        QCOMPARE(errorOf([] { BatchSampler(5, 0, false, 0); }), QString("batch size must be positive, got 0"));
    }

    void batchFillsWithoutReallocating() {
        const Dataset d = indexed(10);
        Batch batch(d, 4);
        BatchSampler s(10, 4, true, 2);
        auto rows = s.next();
        batch.fill(d, rows);
        const float* features = batch.features.data();
        const std::int64_t* classes = batch.classes[0].data();
        const float* values = batch.values[1].data();
        QVERIFY(batch.classes[1].empty() && batch.values[0].empty());
        for (int step = 0; step < 7; ++step) {
            rows = s.next();
            if (rows.empty()) rows = s.next();
            batch.fill(d, rows);
            QCOMPARE(batch.size, Index(rows.size()));
            QCOMPARE(batch.featureShape, (std::vector<Index>{Index(rows.size()), 2}));
            QCOMPARE(batch.features.size(), rows.size() * 2);
            for (size_t i = 0; i < rows.size(); ++i) {
                QCOMPARE(batch.features[2 * i], float(rows[i]));
                QCOMPARE(batch.features[2 * i + 1], float(-rows[i]));
                QCOMPARE(batch.classes[0][i], std::int64_t(rows[i] % 3));
                QCOMPARE(batch.values[1][2 * i + 1], float(10 * rows[i] + 1));
            }
            // Same buffers every step: nothing was reallocated.
            QCOMPARE(batch.features.data(), features);
            QCOMPARE(batch.classes[0].data(), classes);
            QCOMPARE(batch.values[1].data(), values);
        }
    }

    void standardizerUsesPopulationStd() {
        Tensor x({3, 2});
        x.data = {1, 10, 3, 10, 5, 10};
        const Standardizer s = Standardizer::fit(x);
        QCOMPARE(s.mean, (std::vector<float>{3.0f, 10.0f}));
        QCOMPARE(s.std[0], float(std::sqrt(8.0 / 3.0)));
        QCOMPARE(s.std[1], 1.0f); // constant column: centred, not scaled
        s.apply(x);
        const float z = float(2.0 / std::sqrt(8.0 / 3.0));
        const std::vector<float> expected{-z, 0, 0, 0, z, 0};
        for (size_t i = 0; i < 6; ++i) QCOMPARE(x.data[i], expected[i]);
    }

    // ------------------------------------------------------- generators
    void generatorsAreDeterministic_data() {
        QTest::addColumn<Maker>("make");
        QTest::addColumn<Index>("classes");
        QTest::addColumn<QString>("shape");
        QTest::newRow("spirals") << Maker([](auto s) { return makeSpirals(301, 3, 0.1f, s); }) << Index(3) << "[301, 2]";
        QTest::newRow("moons") << Maker([](auto s) { return makeMoons(200, 0.1f, s); }) << Index(2) << "[200, 2]";
        QTest::newRow("circles") << Maker([](auto s) { return makeCircles(200, 0.05f, 0.4f, s); }) << Index(2) << "[200, 2]";
        QTest::newRow("xor") << Maker([](auto s) { return makeXor(101, 0.1f, s); }) << Index(2) << "[101, 2]";
        QTest::newRow("blobs") << Maker([](auto s) { return makeBlobs(250, 5, 3, 0.5f, s); }) << Index(5) << "[250, 3]";
        QTest::newRow("multitask") << Maker([](auto s) { return makeMultiTask(300, 0.1f, s); }) << Index(2) << "[300, 10]";
        QTest::newRow("images") << Maker([](auto s) { return makeShapeImages(40, 0.1f, s); }) << Index(10)
                                << "[40, 3, 32, 32]";
    }

    void generatorsAreDeterministic() {
        QFETCH(Maker, make);
        QFETCH(Index, classes);
        QFETCH(QString, shape);
        const Dataset a = make(1), b = make(1), c = make(2);
        a.validate();
        QCOMPARE(QString::fromStdString(shapeToString(a.features.shape)), shape);
        QVERIFY(sameData(a, b));
        QVERIFY(a.features.data != c.features.data);
        QVERIFY(!a.source.empty() && !a.name.empty());
        const Target& label = a.targets[0];
        QCOMPARE(label.kind, TargetKind::Classes);
        QCOMPARE(label.classCount, classes);
        const Index n = a.count();
        if (a.name != "multitask") { // balanced: class i % classes
            std::vector<Index> counts = classCounts(label);
            for (Index k = 0; k < classes; ++k) QCOMPARE(counts[k], n / classes + (k < n % classes ? 1 : 0));
        }
        for (float v : a.features.data) QVERIFY(std::isfinite(v));
    }

    void spiralsFollowTheirArms() {
        // Without noise each point is t * (cos a, sin a) with
        // a = 2 pi arm / arms + 3 pi t, t = radius.
        const Dataset d = makeSpirals(200, 4, 0.0f, 3);
        QCOMPARE(d.source, std::string("makeSpirals(count=200, arms=4, noise=0, seed=3)"));
        for (Index i = 0; i < d.count(); ++i) {
            const double x = d.features.data[2 * i], y = d.features.data[2 * i + 1];
            const double t = std::hypot(x, y);
            QVERIFY(t <= 1.0 + 1e-6);
            const double a = 2 * M_PI * d.targets[0].classes[i] / 4 + 3 * M_PI * t;
            QVERIFY2(std::abs(x - t * std::cos(a)) < 1e-5 && std::abs(y - t * std::sin(a)) < 1e-5,
                     qPrintable(QString("row %1").arg(i)));
        }
    }

    void moonsCirclesXorFollowTheirRules() {
        const Dataset moons = makeMoons(100, 0.0f, 1);
        for (Index i = 0; i < 100; ++i) {
            const double x = moons.features.data[2 * i], y = moons.features.data[2 * i + 1];
            if (moons.targets[0].classes[i] == 0) {
                QVERIFY(std::abs(std::hypot(x, y) - 1.0) < 1e-5 && y >= -1e-6);
            } else {
                QVERIFY(std::abs(std::hypot(x - 1.0, y - 0.5) - 1.0) < 1e-5 && y <= 0.5 + 1e-6);
            }
        }
        const Dataset circles = makeCircles(100, 0.0f, 0.3f, 1);
        for (Index i = 0; i < 100; ++i) {
            const double r = std::hypot(circles.features.data[2 * i], circles.features.data[2 * i + 1]);
            QVERIFY(std::abs(r - (circles.targets[0].classes[i] == 0 ? 1.0 : 0.3)) < 1e-5);
        }
        const Dataset x = makeXor(100, 0.0f, 1);
        for (Index i = 0; i < 100; ++i) {
            const float a = x.features.data[2 * i], b = x.features.data[2 * i + 1];
            QVERIFY(std::abs(a) <= 1 && std::abs(b) <= 1);
            QCOMPARE(x.targets[0].classes[i], std::int64_t(a * b < 0 ? 1 : 0));
        }
    }

    void blobsHaveTheirSpread() {
        const Dataset d = makeBlobs(3000, 3, 2, 0.5f, 8);
        for (int c = 0; c < 3; ++c) {
            double sum[2] = {0, 0}, sq[2] = {0, 0};
            for (Index i = c; i < d.count(); i += 3)
                for (int j = 0; j < 2; ++j) {
                    sum[j] += d.features.data[2 * i + j];
                    sq[j] += double(d.features.data[2 * i + j]) * d.features.data[2 * i + j];
                }
            for (int j = 0; j < 2; ++j) {
                const double m = sum[j] / 1000, sd = std::sqrt(sq[j] / 1000 - m * m);
                QVERIFY2(std::abs(sd - 0.5) < 0.05, qPrintable(QString::number(sd)));
                QVERIFY(std::abs(m) <= 5.0 + 0.1);
            }
        }
    }

    void multiTaskTargetsFollowTheRule() {
        const Dataset d = makeMultiTask(500, 0.0f, 4);
        QCOMPARE(d.targets.size(), size_t(3));
        QCOMPARE(d.target("task0").classCount, Index(2));
        QCOMPARE(d.target("task1").classCount, Index(3));
        QCOMPARE(d.target("task2").kind, TargetKind::Values);
        QCOMPARE(d.target("task2").values.shape, (std::vector<Index>{500, 1}));
        std::vector<Index> c1(3, 0);
        Index ones = 0;
        for (Index i = 0; i < 500; ++i) {
            const float* x = d.features.ptr() + 10 * i;
            QCOMPARE(d.targets[0].classes[i], std::int64_t(x[0] + x[1] - x[2] > 0 ? 1 : 0));
            const double s[3] = {x[3] + x[4], x[5] - x[3], 0.5 * x[6] - x[4]};
            QCOMPARE(d.targets[1].classes[i], std::int64_t(std::max_element(s, s + 3) - s));
            const double y = std::sin(x[7]) + 0.5 * x[8] * x[9] + 0.3 * x[0];
            QVERIFY(std::abs(d.targets[2].values.data[i] - y) < 1e-5);
            ones += d.targets[0].classes[i];
            ++c1[d.targets[1].classes[i]];
        }
        // Every class is common enough to learn.
        QVERIFY(ones > 200 && ones < 300);
        for (Index k : c1) QVERIFY2(k > 100, qPrintable(QString::number(k)));
        // With noise some labels flip, but most still follow the rule.
        const Dataset noisy = makeMultiTask(500, 0.1f, 4);
        Index agree = 0;
        for (Index i = 0; i < 500; ++i) {
            const float* x = noisy.features.ptr() + 10 * i;
            agree += noisy.targets[0].classes[i] == (x[0] + x[1] - x[2] > 0 ? 1 : 0);
        }
        QVERIFY(agree > 450 && agree < 500);
    }

    void shapeImagesAreSeparable() {
        // Nearest class mean on raw pixels, fitted on one seed and scored on
        // another: far above chance (0.1) means class evidence is there.
        const Dataset train = makeShapeImages(500, 0.1f, 1), test = makeShapeImages(300, 0.1f, 2);
        QCOMPARE(train.targets[0].classNames.size(), size_t(10));
        QCOMPARE(train.targets[0].classNames[7], std::string("checkerboard"));
        const Index s = train.sampleSize();
        QCOMPARE(s, Index(3072));
        float lo = 1, hi = 0;
        for (float v : train.features.data) lo = std::min(lo, v), hi = std::max(hi, v);
        QCOMPARE(lo, 0.0f);
        QCOMPARE(hi, 1.0f);
        std::vector<double> means(10 * s, 0.0);
        for (Index i = 0; i < train.count(); ++i)
            for (Index j = 0; j < s; ++j) means[train.targets[0].classes[i] * s + j] += train.features.data[i * s + j] / 50.0;
        Index correct = 0;
        for (Index i = 0; i < test.count(); ++i) {
            double best = 1e300;
            Index arg = -1;
            for (Index c = 0; c < 10; ++c) {
                double dist = 0;
                for (Index j = 0; j < s; ++j) {
                    const double e = test.features.data[i * s + j] - means[c * s + j];
                    dist += e * e;
                }
                if (dist < best) best = dist, arg = c;
            }
            correct += arg == test.targets[0].classes[i];
        }
        QVERIFY2(correct > 0.7 * test.count(), qPrintable(QString::number(correct)));
    }

    void generatorArgumentsAreChecked_data() {
        QTest::addColumn<Maker>("make");
        QTest::addColumn<QString>("message");
        QTest::newRow("one arm") << Maker([](auto) { return makeSpirals(10, 1, 0.1f, 0); })
                                 << "makeSpirals: arms 1 must be at least 2";
        QTest::newRow("too few") << Maker([](auto) { return makeSpirals(2, 3, 0.1f, 0); })
                                 << "makeSpirals: count 2 must be at least 3 (one sample per class)";
        QTest::newRow("negative noise") << Maker([](auto) { return makeMoons(10, -0.5f, 0); })
                                        << "makeMoons: noise -0.5 must be finite and >= 0";
        QTest::newRow("factor") << Maker([](auto) { return makeCircles(10, 0.1f, 1.5f, 0); })
                                << "makeCircles: factor 1.5 must be in (0, 1)";
        QTest::newRow("blob dims") << Maker([](auto) { return makeBlobs(10, 2, 0, 1.0f, 0); })
                                   << "makeBlobs: dims 0 must be in [1, 4096]";
        QTest::newRow("images") << Maker([](auto) { return makeShapeImages(5, 0.1f, 0); })
                                << "makeShapeImages: count 5 must be at least 10 (one sample per class)";
    }

    void generatorArgumentsAreChecked() {
        QFETCH(Maker, make);
        QFETCH(QString, message);
        QCOMPARE(errorOf([&] { make(0); }), message);
    }

    // -------------------------------------------------------------- IDX
    void idxRoundTrip_data() {
        QTest::addColumn<bool>("gzip");
        QTest::newRow("plain") << false;
        QTest::newRow("gzip") << true;
    }

    void idxRoundTrip() {
        QFETCH(bool, gzip);
        QTemporaryDir dir;
        const QString images = dir.filePath("img"), labels = dir.filePath("lbl");
        const QByteArray pixels = ramp(5 * 3 * 4);
        writeBytes(images, idxImages(5, 3, 4, pixels), gzip);
        writeBytes(labels, idxLabels(5, QByteArray("\x03\x01\x04\x01\x05", 5)), gzip);

        const IdxImages raw = readIdxImages(images.toStdString());
        QCOMPARE(raw.count, Index(5));
        QCOMPARE(raw.rows, Index(3));
        QCOMPARE(raw.cols, Index(4));
        QCOMPARE(QByteArray(reinterpret_cast<const char*>(raw.pixels.data()), int(raw.pixels.size())), pixels);

        const Dataset d = loadIdxPair(images.toStdString(), labels.toStdString(), "tiny");
        d.validate();
        QCOMPARE(d.name, std::string("tiny"));
        QCOMPARE(d.features.shape, (std::vector<Index>{5, 1, 3, 4}));
        for (int i = 0; i < pixels.size(); ++i)
            QCOMPARE(d.features.data[i], float(quint8(pixels[i])) * (1.0f / 255.0f));
        QCOMPARE(d.targets[0].classes, (std::vector<std::int64_t>{3, 1, 4, 1, 5}));
        QCOMPARE(d.targets[0].classCount, Index(6));
        QCOMPARE(loadIdxPair(images.toStdString(), labels.toStdString(), "tiny", 10).targets[0].classCount, Index(10));
    }

    void idxFolder() {
        QTemporaryDir dir;
        // A mix of plain and gzip files; a plain file wins over its .gz.
        writeBytes(dir.filePath("train-images-idx3-ubyte"), idxImages(4, 2, 2, QByteArray("\x00\xff\x00\xff" "\x00\x00\x00\x00" "\xff\xff\xff\xff" "\x00\xff\x00\xff", 16)));
        writeBytes(dir.filePath("train-images-idx3-ubyte.gz"), QByteArray("ignored"));
        writeBytes(dir.filePath("train-labels-idx1-ubyte.gz"), idxLabels(4, QByteArray("\x00\x01\x02\x01", 4)), true);
        writeBytes(dir.filePath("t10k-images-idx3-ubyte.gz"), idxImages(2, 2, 2, QByteArray("\x00\x00\xff\xff" "\xff\x00\x00\x00", 8)), true);
        writeBytes(dir.filePath("t10k-labels-idx1-ubyte"), idxLabels(2, QByteArray("\x04\x00", 2)));
        const QString base = QFileInfo(dir.path()).fileName();

        const IdxFolder plain = loadIdxFolder(dir.path().toStdString());
        QCOMPARE(QString::fromStdString(plain.train.name), base + "/train");
        QCOMPARE(QString::fromStdString(plain.test.name), base + "/test");
        QCOMPARE(plain.train.count(), Index(4));
        QCOMPARE(plain.test.count(), Index(2));
        QCOMPARE(plain.train.targets[0].classCount, Index(5)); // from the test labels' 4
        QCOMPARE(plain.test.targets[0].classCount, Index(5));
        QCOMPARE(plain.mean, 0.0f);
        QCOMPARE(plain.std, 1.0f);
        QCOMPARE(plain.test.features.data, (std::vector<float>{0, 0, 1, 1, 1, 0, 0, 0}));

        // Training pixels: 8 of 16 are 1 -> mean 0.5, std 0.5.
        IdxOptions computed;
        computed.normalize = true;
        const IdxFolder norm = loadIdxFolder(dir.path().toStdString(), computed);
        QCOMPARE(norm.mean, 0.5f);
        QCOMPARE(norm.std, 0.5f);
        QCOMPARE(norm.test.features.data, (std::vector<float>{-1, -1, 1, 1, 1, -1, -1, -1}));

        IdxOptions given;
        given.normalize = true;
        given.mean = 0.25f;
        given.std = 0.25f;
        const IdxFolder fixed = loadIdxFolder(dir.path().toStdString(), given);
        QCOMPARE(fixed.mean, 0.25f);
        QCOMPARE(fixed.train.features.data[1], 3.0f);
        QCOMPARE(fixed.train.features.data[0], -1.0f);

        QFile::remove(dir.filePath("t10k-labels-idx1-ubyte"));
        QCOMPARE(errorOf([&] { loadIdxFolder(dir.path().toStdString()); }),
                 dir.path() + ": missing t10k-labels-idx1-ubyte (or t10k-labels-idx1-ubyte.gz)");
        QCOMPARE(errorOf([&] { loadIdxFolder(dir.filePath("absent").toStdString()); }),
                 dir.filePath("absent") + ": no such folder");
    }

    void idxBadFiles_data() {
        QTest::addColumn<bool>("images");  // read as images (else labels)
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<bool>("gzip");
        QTest::addColumn<QString>("message"); // %1 = path

        QTest::newRow("empty") << true << QByteArray() << false << "%1: truncated header (expected 4 bytes, found 0)";
        QTest::newRow("short header") << true << be32(0x803) + be32(1) + QByteArray(2, '\0') << false
                                      << "%1: truncated header (expected 12 bytes, found 6)";
        QTest::newRow("wrong magic") << true << idxImages(1, 1, 1, "x").replace(0, 4, be32(0x12345678)) << false
                                     << "%1: not an IDX image file (magic 0x12345678, expected 0x00000803)";
        QTest::newRow("float type") << true << be32(0x0D03) + be32(1) + be32(1) + be32(1) + "abcd" << false
                                    << "%1: not an IDX image file (magic 0x00000d03, expected 0x00000803)";
        QTest::newRow("labels as images") << true << idxLabels(2, "ab") << false
                                          << "%1: IDX image file must have 3 dimensions, header says 1";
        QTest::newRow("images as labels") << false << idxImages(1, 1, 1, "x") << false
                                          << "%1: IDX label file must have 1 dimension, header says 3";
        QTest::newRow("zero images") << true << idxImages(0, 28, 28, {}) << false << "%1: header says 0 images";
        QTest::newRow("zero rows") << true << idxImages(1, 0, 28, {}) << false
                                   << "%1: image size 0x28 is out of range (rows and cols must be 1..4096)";
        QTest::newRow("huge cols") << true << idxImages(1, 28, 5000, {}) << false
                                   << "%1: image size 28x5000 is out of range (rows and cols must be 1..4096)";
        QTest::newRow("too many elements") << true << idxImages(4000000000u, 4096, 4096, "abc") << false
                                           << "%1: 4000000000 images of 4096x4096 are 67108864000000000 bytes, more than the limit of 100000000";
        QTest::newRow("truncated pixels") << true << idxImages(100, 28, 28, ramp(5000)) << false
                                          << "%1: truncated: header says 100 images of 28x28 (78400 bytes), file holds 5000 bytes of pixel data";
        QTest::newRow("truncated pixels gz") << true << idxImages(100, 28, 28, ramp(5000)) << true
                                             << "%1: truncated: header says 100 images of 28x28 (78400 bytes), file holds 5000 bytes of pixel data";
        QTest::newRow("claims 10^8 pixels") << true << idxImages(100000000, 1, 1, ramp(10)) << false
                                            << "%1: truncated: header says 100000000 images of 1x1 (100000000 bytes), file holds 10 bytes of pixel data";
        QTest::newRow("extra pixels") << true << idxImages(1, 2, 2, ramp(5)) << false
                                      << "%1: more data than the header declares (1 images of 2x2)";
        QTest::newRow("zero labels") << false << idxLabels(0, {}) << false << "%1: header says 0 labels";
        QTest::newRow("too many labels") << false << idxLabels(200000000, "ab") << false
                                         << "%1: 200000000 labels are more than the limit of 100000000";
        QTest::newRow("truncated labels") << false << idxLabels(100, ramp(60)) << true
                                          << "%1: truncated: header says 100 labels, file holds 60";
        QTest::newRow("extra labels") << false << idxLabels(2, "abc") << false
                                      << "%1: more data than the header declares (2 labels)";
    }

    void idxBadFiles() {
        QFETCH(bool, images);
        QFETCH(QByteArray, bytes);
        QFETCH(bool, gzip);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString path = dir.filePath(gzip ? "bad.gz" : "bad");
        writeBytes(path, bytes, gzip);
        QCOMPARE(errorOf([&] {
                     if (images) readIdxImages(path.toStdString());
                     else readIdxLabels(path.toStdString());
                 }),
                 message.arg(path));
    }

    void idxCorruptGzipAndMissingFiles() {
        QTemporaryDir dir;
        // A gzip member cut off in the middle: zlib reports it.
        const QString full = dir.filePath("full.gz"), cut = dir.filePath("cut.gz");
        writeBytes(full, idxImages(50, 10, 10, ramp(5000, 13)), true);
        QFile f(full);
        QVERIFY(f.open(QIODevice::ReadOnly));
        writeBytes(cut, f.readAll().left(200));
        QCOMPARE(errorOf([&] { readIdxImages(cut.toStdString()); }),
                 cut + ": corrupt or truncated gzip data (unexpected end of file)");

        // A damaged checksum.
        QFile::copy(full, dir.filePath("crc.gz"));
        QFile crc(dir.filePath("crc.gz"));
        QVERIFY(crc.open(QIODevice::ReadWrite));
        QVERIFY(crc.seek(crc.size() - 6));
        QCOMPARE(crc.write("\x00\x00", 2), qint64(2)); // inside the CRC-32 trailer
        crc.close();
        QCOMPARE(errorOf([&] { readIdxImages(dir.filePath("crc.gz").toStdString()); }),
                 dir.filePath("crc.gz") + ": corrupt or truncated gzip data (incorrect data check)");

        const QString missing = dir.filePath("nothing-here");
        QCOMPARE(errorOf([&] { readIdxLabels(missing.toStdString()); }), missing + ": no such file");
        QCOMPARE(errorOf([&] { readIdxImages(dir.path().toStdString()); }), dir.path() + ": not a regular file");

        // Counts that disagree between the two files.
        const QString images = dir.filePath("i"), labels = dir.filePath("l");
        writeBytes(images, idxImages(3, 2, 2, ramp(12)));
        writeBytes(labels, idxLabels(2, "\x01\x02"));
        QCOMPARE(errorOf([&] { loadIdxPair(images.toStdString(), labels.toStdString(), "x"); }),
                 images + ": 3 images but " + labels + " has 2 labels");
    }

    void fashionMnist() {
        const QString folder = "/usr/share/datasets/fashion-mnist";
        if (!QDir(folder).exists()) QSKIP("dataset-fashion-mnist is not installed");
        IdxOptions options;
        options.normalize = true; // statistics computed on the 60000 training images
        const IdxFolder f = loadIdxFolder(folder.toStdString(), options);
        QCOMPARE(f.train.name, std::string("fashion-mnist/train"));
        QCOMPARE(f.train.features.shape, (std::vector<Index>{60000, 1, 28, 28}));
        QCOMPARE(f.test.features.shape, (std::vector<Index>{10000, 1, 28, 28}));
        QCOMPARE(f.train.targets[0].classCount, Index(10));
        const std::vector<std::int64_t> trainFirst(f.train.targets[0].classes.begin(),
                                                   f.train.targets[0].classes.begin() + 10);
        const std::vector<std::int64_t> testFirst(f.test.targets[0].classes.begin(),
                                                  f.test.targets[0].classes.begin() + 10);
        QCOMPARE(trainFirst, (std::vector<std::int64_t>{9, 0, 0, 3, 0, 2, 7, 2, 5, 5}));
        QCOMPARE(testFirst, (std::vector<std::int64_t>{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}));
        for (Index k : classCounts(f.train.targets[0])) QCOMPARE(k, Index(6000));
        // Fashion-MNIST's published pixel statistics.
        QVERIFY2(std::abs(f.mean - 0.2860f) < 5e-4f, qPrintable(QString::number(f.mean)));
        QVERIFY2(std::abs(f.std - 0.3530f) < 5e-4f, qPrintable(QString::number(f.std)));
        // First training image: its pixel bytes sum to 76247.
        double sum = 0;
        for (Index j = 0; j < 784; ++j) sum += f.train.features.data[j] * f.std + f.mean;
        QVERIFY2(std::abs(sum - 76247.0 / 255.0) < 1e-3, qPrintable(QString::number(sum, 'f', 6)));
    }

    // -------------------------------------------------------------- CSV
    void csvGood() {
        QTemporaryDir dir;
        const QString path = dir.filePath("flowers.csv");
        writeBytes(path, "\xEF\xBB\xBF" " length , width,species,\"score\"\r\n"
                         "1.5,0.25,setosa,10\r\n"
                         "\r\n"
                         "  2 ,+3e-1,\"virginica\",-1\r\n"
                         "-4.75,1,\"set,osa \"\"x\"\"\",0.5\r\n"
                         "0,0,setosa,7");
        CsvOptions options;
        options.targets = {{"species", TargetKind::Classes}, {"score", TargetKind::Values}};
        const CsvData data = loadCsv(path.toStdString(), options);
        const Dataset& d = data.train;
        QCOMPARE(d.name, std::string("flowers"));
        QCOMPARE(d.features.shape, (std::vector<Index>{4, 2}));
        QCOMPARE(d.features.data, (std::vector<float>{1.5f, 0.25f, 2.0f, 0.3f, -4.75f, 1.0f, 0.0f, 0.0f}));
        const Target& species = d.target("species");
        QCOMPARE(species.classNames, (std::vector<std::string>{"set,osa \"x\"", "setosa", "virginica"}));
        QCOMPARE(species.classCount, Index(3));
        QCOMPARE(species.classes, (std::vector<std::int64_t>{1, 2, 0, 1}));
        QCOMPARE(d.target("score").values.data, (std::vector<float>{10, -1, 0.5f, 7}));
        QCOMPARE(data.validation.count(), Index(0));
        QCOMPARE(data.validation.features.shape, (std::vector<Index>{0, 2}));
        QVERIFY(data.standardizer.isEmpty());

        // Chosen features in the chosen order; integer labels sort
        // numerically (10 after 3, not before).
        const QString ints = dir.filePath("ints.csv");
        writeBytes(ints, "a;b;c;label\n1;2;3;10\n4;5;6;3\n7;8;9;-1\n1;1;1;3\n");
        CsvOptions io;
        io.delimiter = ';';
        io.featureColumns = {"c", "a"};
        io.targets = {{"label", TargetKind::Classes}};
        const Dataset di = loadCsv(ints.toStdString(), io).train;
        QCOMPARE(di.features.data, (std::vector<float>{3, 1, 6, 4, 9, 7, 1, 1}));
        QCOMPARE(di.target("label").classNames, (std::vector<std::string>{"-1", "3", "10"}));
        QCOMPARE(di.target("label").classes, (std::vector<std::int64_t>{2, 1, 0, 1}));
    }

    void csvStandardizesWithTrainingStatisticsOnly() {
        QTemporaryDir dir;
        const QString path = dir.filePath("rows.csv");
        QByteArray text = "id,twice,y\n";
        for (int i = 0; i < 10; ++i) text += QByteArray::number(i) + "," + QByteArray::number(2 * i) + "," + QByteArray::number(i % 2) + "\n";
        writeBytes(path, text);
        CsvOptions options;
        options.targets = {{"y", TargetKind::Classes}};
        options.validationFraction = 0.3;
        options.splitSeed = 17;
        options.standardize = true;
        const CsvData data = loadCsv(path.toStdString(), options);
        QCOMPARE(data.train.count(), Index(7));
        QCOMPARE(data.validation.count(), Index(3));
        const Standardizer& s = data.standardizer;
        QCOMPARE(s.mean.size(), size_t(2));
        // Recover each row's id with the stored statistics.
        std::vector<double> trainIds, valIds;
        for (const auto& [set, ids] : {std::pair{&data.train, &trainIds}, std::pair{&data.validation, &valIds}})
            for (Index r = 0; r < set->count(); ++r) {
                const double id = set->features.data[2 * r] * s.std[0] + s.mean[0];
                QVERIFY(std::abs(id - std::round(id)) < 1e-4);
                ids->push_back(std::round(id));
                QVERIFY(std::abs(set->features.data[2 * r + 1] * s.std[1] + s.mean[1] - 2 * std::round(id)) < 1e-4);
                QCOMPARE(set->target("y").classes[r], std::int64_t(int(std::round(id)) % 2));
            }
        std::vector<double> all = trainIds;
        all.insert(all.end(), valIds.begin(), valIds.end());
        std::sort(all.begin(), all.end());
        QCOMPARE(all, (std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
        // The mean and std are those of the 7 training rows alone.
        double m = 0, v = 0;
        for (double id : trainIds) m += id / 7;
        for (double id : trainIds) v += (id - m) * (id - m) / 7;
        QVERIFY(std::abs(s.mean[0] - m) < 1e-5);
        QVERIFY(std::abs(s.std[0] - std::sqrt(v)) < 1e-5);
        QVERIFY(std::abs(s.mean[1] - 2 * m) < 1e-5);
        double trainMean = 0;
        for (Index r = 0; r < 7; ++r) trainMean += data.train.features.data[2 * r] / 7;
        QVERIFY(std::abs(trainMean) < 1e-5);
        // The split is the same one splitTrainValidation makes.
        const std::vector<Index> order = shuffledIndices(10, 17);
        for (int r = 0; r < 3; ++r) QCOMPARE(valIds[r], double(order[r]));
    }

    void csvBad_data() {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QStringList>("features");
        QTest::addColumn<QStringList>("targets"); // "name" (classes) or "=name" (values)
        QTest::addColumn<QString>("message");     // %1 = path
        const QStringList none, label{"label"};

        QTest::newRow("empty file") << QByteArray() << none << label << "%1: empty file (no header row)";
        QTest::newRow("blank lines only") << QByteArray("\n  \r\n\n") << none << label << "%1: empty file (no header row)";
        QTest::newRow("header only") << QByteArray("a,label\n") << none << label << "%1: no data rows after the header";
        QTest::newRow("no such target") << QByteArray("a,b\n1,2\n") << none << label
                                        << "%1: no column named 'label' (columns: a, b)";
        QTest::newRow("no such feature") << QByteArray("a,label\n1,2\n") << QStringList{"a", "z"} << label
                                         << "%1: no column named 'z' (columns: a, label)";
        QTest::newRow("no targets") << QByteArray("a,label\n1,2\n") << none << QStringList{} << "%1: no target columns given";
        QTest::newRow("feature is target") << QByteArray("a,label\n1,2\n") << QStringList{"label"} << label
                                           << "%1: column 'label' is both a feature and a target";
        QTest::newRow("only targets") << QByteArray("label\nx\n") << none << label
                                      << "%1: no feature columns (every column is a target)";
        QTest::newRow("duplicate column") << QByteArray("a,b,a,label\n") << none << label << "%1:1: duplicate column name 'a'";
        QTest::newRow("empty column name") << QByteArray("a,,label\n") << none << label << "%1:1: column 2 has an empty name";
        QTest::newRow("ragged short") << QByteArray("a,b,label\n1,2,x\n3,4\n") << none << label
                                      << "%1:3: expected 3 fields, found 2";
        QTest::newRow("ragged long") << QByteArray("a,b,label\n1,2,x,9\n") << none << label
                                     << "%1:2: expected 3 fields, found 4";
        QTest::newRow("not a number") << QByteArray("a,b,label\n1,abc,x\n") << none << label
                                      << "%1:2: column 'b': cannot parse 'abc' as a number";
        QTest::newRow("trailing junk") << QByteArray("a,b,label\n1,2.5kg,x\n") << none << label
                                       << "%1:2: column 'b': cannot parse '2.5kg' as a number";
        QTest::newRow("empty value") << QByteArray("a,b,label\n1,2,x\n\n ,2,y\n") << none << label
                                     << "%1:4: column 'a': empty value";
        QTest::newRow("nan") << QByteArray("a,b,label\n1,nan,x\n") << none << label
                             << "%1:2: column 'b': 'nan' is not a finite number";
        QTest::newRow("out of range") << QByteArray("a,b,label\n1,1e999,x\n") << none << label
                                      << "%1:2: column 'b': '1e999' is out of range for a 32-bit float";
        QTest::newRow("empty label") << QByteArray("a,label\n1,x\n2,\n") << none << label
                                     << "%1:3: column 'label': empty label";
        QTest::newRow("bad regression target") << QByteArray("a,y\n1,2\n2,two\n") << none << QStringList{"=y"}
                                               << "%1:3: column 'y': cannot parse 'two' as a number";
        QTest::newRow("unterminated quote") << QByteArray("a,label\n1,x\n2,\"open\n3,y\n") << none << label
                                            << "%1:3: unterminated quoted field";
        QTest::newRow("text after quote") << QByteArray("a,label\n1,\"x\"y\n") << none << label
                                          << "%1:2: unexpected text after a closing quote";
        QTest::newRow("stray quote") << QByteArray("a,label\n1,x\"y\n") << none << label
                                     << "%1:2: quote inside an unquoted field";
        QTest::newRow("line after multi-line field") << QByteArray("a,label\n1,\"two\nlines\"\n2,x,3\n") << none << label
                                                     << "%1:4: expected 2 fields, found 3";
    }

    void csvBad() {
        QFETCH(QByteArray, text);
        QFETCH(QStringList, features);
        QFETCH(QStringList, targets);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString path = dir.filePath("bad.csv");
        writeBytes(path, text);
        CsvOptions options;
        for (const QString& f : features) options.featureColumns.push_back(f.toStdString());
        for (const QString& t : targets)
            options.targets.push_back(t.startsWith('=') ? CsvTargetSpec{t.mid(1).toStdString(), TargetKind::Values}
                                                        : CsvTargetSpec{t.toStdString(), TargetKind::Classes});
        QCOMPARE(errorOf([&] { loadCsv(path.toStdString(), options); }), message.arg(path));
    }

    void csvMissingFile() {
        QTemporaryDir dir;
        const QString path = dir.filePath("none.csv");
        CsvOptions options;
        options.targets = {{"y", TargetKind::Classes}};
        QCOMPARE(errorOf([&] { loadCsv(path.toStdString(), options); }), path + ": no such file");
    }
};

QTEST_GUILESS_MAIN(TestDatasets)
#include "tst_datasets.moc"
