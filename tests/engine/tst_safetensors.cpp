// Safetensors reading and writing: a round trip that also pins the exact
// bytes on disk (header JSON, key order, padding, offsets), dtype
// conversions on read, and a table of malformed files each with the exact
// error message.
#include "core/Error.h"
#include "io/Safetensors.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>

using ml::io::DType;
using ml::io::NamedTensor;

namespace {

QByteArray le64(quint64 v) {
    QByteArray b(8, '\0');
    for (int i = 0; i < 8; ++i) b[i] = char((v >> (8 * i)) & 0xff);
    return b;
}

template <typename T> QByteArray bytesOf(std::initializer_list<T> values) {
    QByteArray b;
    for (T v : values) b.append(reinterpret_cast<const char*>(&v), sizeof v);
    return b;
}

// A file: u64 header length, header text, data.
QByteArray fileOf(const QByteArray& header, const QByteArray& data) { return le64(header.size()) + header + data; }

void writeBytes(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(bytes), bytes.size());
}

QByteArray readBytes(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return f.readAll();
}

QString errorOf(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const ml::Error& e) {
        return QString::fromStdString(e.what());
    }
    return QStringLiteral("<no error>");
}

} // namespace

class TestSafetensors : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundTripKeepsOrderValuesAndMetadata() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("m.safetensors").toStdString();
        NamedTensor w{"z.weight", DType::F32, {2, 3}, {1.5f, -2.0f, 0.25f, 3.0f, -0.0f, 1e-20f}, {}};
        NamedTensor steps{"a.steps", DType::I64, {2}, {}, {-7, 9000000000LL}};
        NamedTensor scalar{"m.scalar", DType::F32, {}, {42.0f}, {}};
        NamedTensor empty{"e.empty", DType::F32, {0, 4}, {}, {}};
        ml::io::writeSafetensors(path, {w, steps, scalar, empty}, {{"zeta", "1"}, {"alpha", "two"}});

        // The exact bytes: header keys in the given order, compact JSON
        // padded with spaces to a multiple of 8, data in the same order.
        const QByteArray header =
            R"({"__metadata__":{"zeta":"1","alpha":"two"},)"
            R"("z.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
            R"("a.steps":{"dtype":"I64","shape":[2],"data_offsets":[24,40]},)"
            R"("m.scalar":{"dtype":"F32","shape":[],"data_offsets":[40,44]},)"
            R"("e.empty":{"dtype":"F32","shape":[0,4],"data_offsets":[44,44]}})";
        QByteArray padded = header;
        padded.append(QByteArray((8 - header.size() % 8) % 8, ' '));
        QCOMPARE(padded.size() % 8, 0);
        const QByteArray data = bytesOf<float>({1.5f, -2.0f, 0.25f, 3.0f, -0.0f, 1e-20f}) +
                                bytesOf<qint64>({-7, 9000000000LL}) + bytesOf<float>({42.0f});
        QCOMPARE(readBytes(dir.filePath("m.safetensors")), fileOf(padded, data));
        // No temporary file is left behind.
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{"m.safetensors"});

        const ml::io::SafetensorsFile f = ml::io::readSafetensors(path);
        QCOMPARE(f.tensors.size(), size_t(4));
        QCOMPARE(f.tensors[0].name, std::string("z.weight"));
        QCOMPARE(f.tensors[1].name, std::string("a.steps"));
        QCOMPARE(f.tensors[2].name, std::string("m.scalar"));
        QCOMPARE(f.tensors[3].name, std::string("e.empty"));
        QVERIFY(f.tensors[0].dtype == DType::F32);
        QCOMPARE(f.tensors[0].shape, (std::vector<ml::Index>{2, 3}));
        QCOMPARE(f.tensors[0].f32, w.f32);
        QVERIFY(std::signbit(f.tensors[0].f32[4])); // -0.0 kept bit for bit
        QVERIFY(f.tensors[0].i64.empty());
        QVERIFY(f.tensors[1].dtype == DType::I64);
        QCOMPARE(f.tensors[1].i64, (std::vector<std::int64_t>{-7, 9000000000LL}));
        QVERIFY(f.tensors[1].f32.empty());
        QCOMPARE(f.tensors[2].shape, std::vector<ml::Index>{});
        QCOMPARE(f.tensors[2].f32, std::vector<float>{42.0f});
        QCOMPARE(f.tensors[3].shape, (std::vector<ml::Index>{0, 4}));
        QCOMPARE(f.tensors[3].f32.size(), size_t(0));
        QCOMPARE(f.metadata, (ml::io::Metadata{{"zeta", "1"}, {"alpha", "two"}}));
        QVERIFY(f.find("a.steps") == &f.tensors[1]);
        QVERIFY(f.find("missing") == nullptr);
    }

    void writeWithoutMetadataHasNoMetadataKey() {
        QTemporaryDir dir;
        const QString path = dir.filePath("w.safetensors");
        ml::io::writeSafetensors(path.toStdString(), {NamedTensor{"w", DType::F32, {1}, {2.0f}, {}}});
        const QByteArray expected = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
        QByteArray padded = expected + QByteArray((8 - expected.size() % 8) % 8, ' ');
        QCOMPARE(readBytes(path), fileOf(padded, bytesOf<float>({2.0f})));
        QVERIFY(ml::io::readSafetensors(path.toStdString()).metadata.empty());
    }

    void overwriteReplacesFile() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("w.safetensors").toStdString();
        ml::io::writeSafetensors(path, {NamedTensor{"a", DType::F32, {3}, {1, 2, 3}, {}}});
        ml::io::writeSafetensors(path, {NamedTensor{"b", DType::I64, {1}, {}, {5}}});
        const auto f = ml::io::readSafetensors(path);
        QCOMPARE(f.tensors.size(), size_t(1));
        QCOMPARE(f.tensors[0].name, std::string("b"));
        QCOMPARE(f.tensors[0].i64, std::vector<std::int64_t>{5});
    }

    void readsF64AndI32Converted() {
        // Written by hand; tensors listed in the header out of data order
        // (the reader keeps header order, offsets decide the bytes).
        QTemporaryDir dir;
        const QString path = dir.filePath("mixed.safetensors");
        const QByteArray header = R"({"ints":{"dtype":"I32","shape":[3],"data_offsets":[16,28]},)"
                                  R"("doubles":{"dtype":"F64","shape":[2,1],"data_offsets":[0,16]}})";
        writeBytes(path, fileOf(header, bytesOf<double>({0.1, -1e10}) + bytesOf<qint32>({-2147483647 - 1, 0, 77})));
        const auto f = ml::io::readSafetensors(path.toStdString());
        QCOMPARE(f.tensors.size(), size_t(2));
        QCOMPARE(f.tensors[0].name, std::string("ints"));
        QVERIFY(f.tensors[0].dtype == DType::I32);
        QCOMPARE(f.tensors[0].i64, (std::vector<std::int64_t>{-2147483648LL, 0, 77}));
        QVERIFY(f.tensors[1].dtype == DType::F64);
        QVERIFY(f.tensors[1].isFloat());
        QCOMPARE(f.tensors[1].shape, (std::vector<ml::Index>{2, 1}));
        QCOMPARE(f.tensors[1].f32, (std::vector<float>{0.1f, -1e10f}));
    }

    void badFiles_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("message"); // %1 = the file's path

        const QByteArray f8 = bytesOf<float>({1, 2});
        QTest::newRow("empty file") << QByteArray()
                                    << "%1: too short to be a safetensors file (0 bytes, the 8-byte header length is missing)";
        QTest::newRow("too short") << QByteArray("\x05\0\0", 3)
                                   << "%1: too short to be a safetensors file (3 bytes, the 8-byte header length is missing)";
        QTest::newRow("header too long") << le64(200000000) + QByteArray("{}")
                                         << "%1: header length 200000000 exceeds the limit of 100000000 bytes";
        QTest::newRow("header length huge") << le64(~0ULL) << "%1: header length 18446744073709551615 exceeds the limit of 100000000 bytes";
        QTest::newRow("truncated header") << le64(100) + QByteArray(R"({"a":)")
                                          << "%1: header length 100 runs past the end of the file (13 bytes)";
        QTest::newRow("not JSON") << fileOf("{not json}", {}) << "%1: header is not valid JSON (parse error at byte 3)";
        QTest::newRow("not an object") << fileOf("[1,2]", {}) << "%1: header is not a JSON object";
        QTest::newRow("entry not object") << fileOf(R"({"w":[1]})", {}) << "%1: tensor 'w': entry is not a JSON object";
        QTest::newRow("no dtype") << fileOf(R"({"w":{"shape":[2],"data_offsets":[0,8]}})", f8)
                                  << "%1: tensor 'w': missing string field 'dtype'";
        QTest::newRow("unknown dtype") << fileOf(R"({"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})",
                                                 QByteArray(4, '\0'))
                                       << "%1: tensor 'w': unsupported dtype 'BF16' (supported: F32, F64, I32, I64)";
        QTest::newRow("negative dim") << fileOf(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", f8)
                                      << "%1: tensor 'w': shape must be an array of non-negative integers";
        QTest::newRow("shape overflow")
            << fileOf(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", f8)
            << "%1: tensor 'w': shape [4294967296,4294967296] is too large";
        QTest::newRow("bytes overflow")
            << fileOf(R"({"w":{"dtype":"I64","shape":[4611686018427387904],"data_offsets":[0,8]}})", f8)
            << "%1: tensor 'w': shape [4611686018427387904] is too large";
        QTest::newRow("offsets reversed") << fileOf(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", f8)
                                          << "%1: tensor 'w': data_offsets must be [begin, end] with 0 <= begin <= end";
        QTest::newRow("offsets missing") << fileOf(R"({"w":{"dtype":"F32","shape":[2]}})", f8)
                                         << "%1: tensor 'w': data_offsets must be [begin, end] with 0 <= begin <= end";
        QTest::newRow("offsets out of range")
            << fileOf(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", f8)
            << "%1: tensor 'w': data_offsets [0, 16] run past the end of the data buffer (8 bytes)";
        QTest::newRow("wrong size") << fileOf(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", f8)
                                    << "%1: tensor 'w': data_offsets [0, 8] hold 8 bytes but F32 [3] needs 12";
        QTest::newRow("overlapping")
            << fileOf(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                      bytesOf<float>({1, 2, 3}))
            << "%1: tensors 'a' [0, 8] and 'b' [4, 12] overlap in the data buffer";
        QTest::newRow("same bytes twice")
            << fileOf(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                      R"("b":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}})",
                      f8)
            << "%1: tensors 'a' [0, 8] and 'b' [0, 8] overlap in the data buffer";
        QTest::newRow("hole") << fileOf(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                        R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                                        bytesOf<float>({1, 2, 3}))
                              << "%1: bytes [4, 8] of the data buffer belong to no tensor (the format allows no holes)";
        QTest::newRow("trailing bytes") << fileOf(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", f8)
                                        << "%1: bytes [4, 8] of the data buffer belong to no tensor (the format allows no holes)";
        QTest::newRow("duplicate name")
            << fileOf(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                      R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                      f8)
            << "%1: header lists 'a' twice";
        QTest::newRow("metadata not strings") << fileOf(R"({"__metadata__":{"epoch":3}})", {})
                                              << "%1: __metadata__ value of 'epoch' is not a string";
        QTest::newRow("metadata not object") << fileOf(R"({"__metadata__":"x"})", {})
                                             << "%1: __metadata__ is not a JSON object";
    }

    void badFiles() {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString path = dir.filePath("bad.safetensors");
        writeBytes(path, bytes);
        QCOMPARE(errorOf([&] { ml::io::readSafetensors(path.toStdString()); }), message.arg(path));
    }

    void missingFile() {
        QTemporaryDir dir;
        const QString path = dir.filePath("nope.safetensors");
        QCOMPARE(errorOf([&] { ml::io::readSafetensors(path.toStdString()); }), path + ": no such file");
    }

    void acceptsPaddedHeaderAndNoTensors() {
        QTemporaryDir dir;
        const QString path = dir.filePath("empty.safetensors");
        writeBytes(path, fileOf("{}      ", {}));
        const auto f = ml::io::readSafetensors(path.toStdString());
        QVERIFY(f.tensors.empty());
        QVERIFY(f.metadata.empty());
    }

    void writeRejectsBadInput_data() {
        QTest::addColumn<int>("which");
        QTest::addColumn<QString>("message");
        QTest::newRow("size mismatch") << 0 << "%1: tensor 'w': 3 values for shape [2, 2]";
        QTest::newRow("duplicate") << 1 << "%1: tensor 'w': the name is given twice";
        QTest::newRow("F64") << 2 << "%1: tensor 'w': cannot write dtype F64 (F32 and I64 only)";
        QTest::newRow("reserved") << 3 << "%1: tensor '__metadata__': the name is reserved for metadata";
        QTest::newRow("empty name") << 4 << "%1: a tensor has an empty name";
        QTest::newRow("negative dim") << 5 << "%1: tensor 'w': shape [-1] has a negative dimension";
        QTest::newRow("duplicate metadata") << 6 << "%1: metadata key 'k' is given twice";
        QTest::newRow("I64 data in f32") << 7 << "%1: tensor 'w': 0 values for shape [1]";
    }

    void writeRejectsBadInput() {
        QFETCH(int, which);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString path = dir.filePath("out.safetensors");
        // A previous good file must survive a failed write untouched.
        ml::io::writeSafetensors(path.toStdString(), {NamedTensor{"old", DType::F32, {1}, {1.0f}, {}}});
        const QByteArray before = readBytes(path);
        const NamedTensor ok{"w", DType::F32, {1}, {1.0f}, {}};
        std::vector<NamedTensor> tensors;
        ml::io::Metadata metadata;
        switch (which) {
        case 0: tensors = {NamedTensor{"w", DType::F32, {2, 2}, {1, 2, 3}, {}}}; break;
        case 1: tensors = {ok, ok}; break;
        case 2: tensors = {NamedTensor{"w", DType::F64, {1}, {1.0f}, {}}}; break;
        case 3: tensors = {NamedTensor{"__metadata__", DType::F32, {1}, {1.0f}, {}}}; break;
        case 4: tensors = {NamedTensor{"", DType::F32, {1}, {1.0f}, {}}}; break;
        case 5: tensors = {NamedTensor{"w", DType::F32, {-1}, {}, {}}}; break;
        case 6: tensors = {ok}; metadata = {{"k", "1"}, {"k", "2"}}; break;
        case 7: tensors = {NamedTensor{"w", DType::I64, {1}, {1.0f}, {}}}; break;
        }
        QCOMPARE(errorOf([&] { ml::io::writeSafetensors(path.toStdString(), tensors, metadata); }),
                 message.arg(path));
        QCOMPARE(readBytes(path), before);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{"out.safetensors"});
    }

    void writeIntoMissingFolderFails() {
        QTemporaryDir dir;
        const QString path = dir.filePath("no/such/dir/w.safetensors");
        const QString msg = errorOf([&] {
            ml::io::writeSafetensors(path.toStdString(), {NamedTensor{"w", DType::F32, {1}, {1.0f}, {}}});
        });
        QVERIFY2(msg.startsWith(path + ": cannot create " + path + ".partial-"), qPrintable(msg));
    }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
