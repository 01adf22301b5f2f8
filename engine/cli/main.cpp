// modulelab-cli: the engine without a window. Each command lives in its own
// file; this dispatches and turns errors into messages and exit codes.
#include "cli/Cli.h"
#include "core/Error.h"

#include <functional>
#include <iostream>
#include <map>

namespace {

const char* kUsageText = R"(usage: modulelab-cli COMMAND [OPTIONS]

Commands:
  validate FILE...            check models; exit 0 only when all are valid
  summary FILE [--json]       module tree with shapes, parameter counts and sharing

  train FILE [options]        train on a dataset; progress, per-epoch validation
      --dataset NAME|PATH     spirals, moons, circles, xor, blobs, multitask, images,
                              pairs, fashion-mnist, mnist, an IDX folder or a .csv
      --epochs N --batch B --optimizer sgd|adam|adamw --lr X --momentum M
      --weight-decay W --seed S --threads T --schedule joint|round_robin
      --max-steps N --validation F --clip NORM --target COLUMN (for .csv)
      --lr-schedule step|cosine|none   per epoch (step: x0.1 every epoch unless
                              the model's training section says otherwise)
      --log FILE.jsonl        every report as one JSON line
      --save W.safetensors    the trained weights, under PyTorch's state_dict names
      --checkpoint FILE --resume FILE   weights + optimizer state
  predict FILE --weights W.safetensors --input X.safetensors -o Y.safetensors
                              forward pass in eval mode; tensors named as the
                              model's inputs and outputs
  bench FILE --batch B --steps N --threads T [--warmup W] [--json] [--profile]
                              time full training steps (SGD with momentum);
                              --profile: time per op kind on stderr
                              (train and bench: --threads is at most T; a model
                              under 32M forward multiply-adds a step per extra
                              thread runs on fewer, where more were slower)
  bench --sgemm N [--threads T] [--json]
                              the machine's float matrix product speed, for reference
      --kernels avx2|avx512   run another built-in copy of the kernels than the
                              widest this CPU runs (both bench forms)
  bench --core-latency [--json]
                              cache-line round trip between the first two CPUs
                              (how far apart they are: 2-thread speed depends on it)

  export pytorch FILE [-o model.py]
                              the model as PyTorch source: a class per block,
                              nn.Sequential/nn.ModuleList kept, state_dict()
                              names equal to ModuleLab's, a safetensors loader
  export train-script FILE -o DIR/train.py [--model-module model] [--force] [train options]
                              a PyTorch training script (python3 or torchrun),
                              DIR/model.py and DIR/train_data.safetensors; a
                              model.py there that ModuleLab did not write is
                              refused unless --force
  import-weights FILE W.safetensors -o CHECKPOINT
                              weights trained in PyTorch, every missing, unexpected
                              or mis-shaped name reported at once, written as a
                              checkpoint at step 0 (train --resume CHECKPOINT)
  log RUN.jsonl               check a run log (train --log or train.py) and summarize it

Options for validate and summary:
  --max-parameters N          refuse models with more parameters (default 1000000000)
)";

} // namespace

int main(int argc, char** argv) {
    using namespace ml::cli;
    const std::map<std::string, std::function<int(const std::vector<std::string>&)>> commands{
        {"validate", runValidate},
        {"summary", runSummary},
        {"train", runTrain},
        {"predict", runPredict},
        {"bench", runBench},
        {"export", runExport},
        {"import-weights", runImportWeights},
        {"log", runLog},
    };
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        std::cout << kUsageText;
        return argc < 2 ? kUsage : kOk;
    }
    const auto command = commands.find(argv[1]);
    if (command == commands.end()) {
        std::cerr << "modulelab-cli: unknown command '" << argv[1] << "'\n" << kUsageText;
        return kUsage;
    }
    try {
        return command->second(std::vector<std::string>(argv + 2, argv + argc));
    } catch (const UsageError& e) {
        std::cerr << "modulelab-cli " << argv[1] << ": " << e.what() << "\n";
        return kUsage;
    } catch (const ml::Error& e) {
        std::cerr << e.what() << "\n";
        return kFailed;
    } catch (const std::exception& e) {
        std::cerr << "modulelab-cli " << argv[1] << ": " << e.what() << "\n";
        return kFailed;
    }
}
