#include "train/TrainScriptExport.h"

#include "core/Error.h"
#include "io/PyTorchExport.h"
#include "io/Safetensors.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <sstream>

namespace ml::io {

namespace {

std::string num(double x) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, x);
    std::string s(buf, r.ptr);
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
    return s;
}

std::string quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

// The part of the script every model shares; the model's settings come first.
const char* kBody = R"PY(

def log_line(log, record):
    if log:
        log.write(json.dumps(record) + '\n')
        log.flush()


def write_safetensors(path, state):
    """Write {name: tensor} as safetensors (what ModuleLab reads)."""
    header, chunks, offset = {}, [], 0
    for name, tensor in state.items():
        tensor = tensor.detach().cpu().contiguous()
        dtype = {torch.float32: 'F32', torch.int64: 'I64'}[tensor.dtype]
        data = tensor.numpy().tobytes()
        header[name] = {'dtype': dtype, 'shape': list(tensor.shape),
                        'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    with open(path + '.tmp', 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(chunks))
    os.replace(path + '.tmp', path)


def split_inputs(features):
    """Cut each sample into the model's float inputs, in order."""
    flat = features.reshape(features.shape[0], -1)
    inputs, offset = {}, 0
    for name, shape in FLOAT_INPUTS:
        width = math.prod(shape)
        inputs[name] = flat[:, offset:offset + width].reshape(-1, *shape)
        offset += width
    return inputs


class Objectives(nn.Module):
    """Every objective group of a step in one forward, so that DDP sees one
    call per step; returns the weighted total and each objective's loss."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, inputs, targets, groups):
        losses, outputs = {}, {}
        for group in groups:
            index = OBJECTIVES[group[0]][2]
            args = [inputs[n] if n in inputs else index[n] for n in INPUTS]
            result = self.model(*args)
            if not isinstance(result, tuple):
                result = (result,)
            named = dict(zip(OUTPUTS, result))
            for k in group:
                _, output, _, loss, target, _ = OBJECTIVES[k]
                y, t = named[output], targets[target]
                outputs[k] = y
                if loss == 'cross_entropy':
                    losses[k] = F.cross_entropy(y, t)
                elif loss == 'mse':
                    losses[k] = F.mse_loss(y, t)
                else:
                    losses[k] = F.binary_cross_entropy_with_logits(y, t)
        total = sum(OBJECTIVES[k][5] * losses[k] for k in losses)
        return total, losses, outputs


def correct_count(k, y, t):
    if OBJECTIVES[k][3] != 'cross_entropy':
        return None
    return int((y.argmax(dim=1) == t).sum())


def diagnostics(model, objectives, inputs, targets, step):
    """Per-module gradient norms of the step's gradient (already in .grad)
    and the cosine between task groups' gradients on shared parameters."""
    modules = []
    for path, module in model.named_modules():
        params = list(module.parameters())
        grad = sum(float(p.grad.pow(2).sum()) for p in params
                   if p.grad is not None)
        norm = sum(float(p.detach().pow(2).sum()) for p in params)
        modules.append({'path': path, 'type': type(module).__name__,
                        'grad_norm': math.sqrt(grad),
                        'param_norm': math.sqrt(norm)})
    parameters = []
    for name, p in model.named_parameters():
        g = 0.0 if p.grad is None else float(p.grad.norm())
        parameters.append({'name': name, 'grad_norm': g,
                           'param_norm': float(p.detach().norm()),
                           'update_ratio': None})
    cosines = []
    task_norms = []
    if len(GROUPS) > 1:
        buffers = {n: b.clone() for n, b in model.named_buffers()}
        params = [p for _, p in model.named_parameters()]
        per_group = []
        for group in GROUPS:
            _, losses, _ = objectives(inputs, targets, [group])
            total = sum(OBJECTIVES[k][5] * losses[k] for k in group)
            per_group.append(torch.autograd.grad(total, params,
                                                 allow_unused=True))
        with torch.no_grad():
            for n, b in model.named_buffers():
                b.copy_(buffers[n])
        for a in range(len(GROUPS)):
            for b in range(a + 1, len(GROUPS)):
                dot = na = nb = 0.0
                shared = 0
                for ga, gb in zip(per_group[a], per_group[b]):
                    if ga is None or gb is None:
                        continue
                    if float(ga.norm()) == 0 or float(gb.norm()) == 0:
                        continue
                    shared += 1
                    dot += float((ga.double() * gb.double()).sum())
                    na += float(ga.double().pow(2).sum())
                    nb += float(gb.double().pow(2).sum())
                if shared:
                    cosines.append({'a': GROUP_LABELS[a],
                                    'b': GROUP_LABELS[b],
                                    'cosine': dot / math.sqrt(na * nb),
                                    'shared_parameters': shared})
        # Each task's gradient on what more than one task reaches.
        reach = [sum(1 for g in per_group
                     if g[i] is not None and float(g[i].norm()) > 0)
                 for i in range(len(params))]
        for a in range(len(GROUPS)):
            n = sum(float(per_group[a][i].double().pow(2).sum())
                    for i in range(len(params))
                    if reach[i] > 1 and per_group[a][i] is not None)
            task_norms.append({'task': GROUP_LABELS[a],
                               'grad_norm': math.sqrt(n)})
    return {'type': 'diagnostics', 'step': step, 'modules': modules,
            'parameters': parameters, 'shared_uses': [],
            'task_cosines': cosines, 'task_grad_norms': task_norms}


def evaluate(model, data, device):
    """Every validation sample once (rank 0 alone: no padded samples)."""
    model.eval()
    objectives = Objectives(model)
    count = data['validation.features'].shape[0]
    loss_sum = [0.0] * len(OBJECTIVES)
    correct = [0] * len(OBJECTIVES)
    with torch.no_grad():
        for start in range(0, count, 256):
            rows = slice(start, min(start + 256, count))
            inputs = {n: v[rows].to(device) for n, v in
                      split_inputs(data['validation.features']).items()}
            targets = {t: data['validation.' + t][rows].to(device)
                       for t in TARGETS}
            _, losses, outputs = objectives(inputs, targets, GROUPS)
            n = rows.stop - rows.start
            for k in losses:
                loss_sum[k] += float(losses[k]) * n
                c = correct_count(k, outputs[k], targets[OBJECTIVES[k][4]])
                if c is not None:
                    correct[k] += c
    model.train()
    accuracy = [correct[k] / count if OBJECTIVES[k][3] == 'cross_entropy'
                else None for k in range(len(OBJECTIVES))]
    return [s / count for s in loss_sum], accuracy, count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--epochs', type=int, default=EPOCHS)
    parser.add_argument('--log', help='JSONL report lines (rank 0)')
    parser.add_argument('--save', help='final weights, safetensors (rank 0)')
    parser.add_argument('--threads', type=int, default=0,
                        help='threads per process (0: cores / processes)')
    args = parser.parse_args()

    distributed = 'WORLD_SIZE' in os.environ
    rank, world, local_rank = 0, 1, 0
    if distributed:
        backend = 'nccl' if torch.cuda.is_available() else 'gloo'
        dist.init_process_group(backend)
        rank, world = dist.get_rank(), dist.get_world_size()
        local_rank = int(os.environ.get('LOCAL_RANK', 0))
    local_world = int(os.environ.get('LOCAL_WORLD_SIZE', 1))
    torch.set_num_threads(args.threads or
                          max(1, (os.cpu_count() or 1) // local_world))
    device = torch.device(f'cuda:{local_rank}' if torch.cuda.is_available()
                          else 'cpu')
    torch.manual_seed(SEED)

    here = os.path.dirname(os.path.abspath(__file__))
    data = read_safetensors(os.path.join(here, DATA))
    train_inputs = split_inputs(data['train.features'])
    names = list(train_inputs)
    dataset = TensorDataset(*train_inputs.values(),
                            *[data['train.' + t] for t in TARGETS])
    sampler = (DistributedSampler(dataset, shuffle=True, seed=SEED)
               if distributed else None)
    batch = max(1, BATCH_SIZE // world)
    loader = DataLoader(dataset, batch_size=batch, shuffle=sampler is None,
                        sampler=sampler, drop_last=False,
                        generator=torch.Generator().manual_seed(SEED))

    model = MODEL().to(device)
    objectives = Objectives(model)
    step_module = objectives
    if distributed:
        # A head chosen per task leaves the others without gradient.
        step_module = DistributedDataParallel(
            objectives, device_ids=[local_rank] if device.type == 'cuda'
            else None, find_unused_parameters=FIND_UNUSED)
    optimizer = make_optimizer(model.parameters())
    scheduler = make_scheduler(optimizer, args.epochs)
    log = open(args.log, 'w') if args.log and rank == 0 else None

    step = 0
    for epoch in range(args.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        started = time.time()
        loss_sum, loss_count = 0.0, 0
        correct = [0] * len(OBJECTIVES)
        seen = 0
        for i, columns in enumerate(loader):
            columns = [c.to(device) for c in columns]
            inputs = dict(zip(names, columns[:len(names)]))
            targets = dict(zip(TARGETS, columns[len(names):]))
            groups = GROUPS if JOINT else [GROUPS[step % len(GROUPS)]]
            tick = time.time()
            optimizer.zero_grad()
            total, losses, outputs = step_module(inputs, targets, groups)
            total.backward()
            if CLIP_GRAD_NORM:
                nn.utils.clip_grad_norm_(model.parameters(), CLIP_GRAD_NORM)
            diagnose = step % DIAGNOSTICS_EVERY == 0 and rank == 0
            if diagnose:
                record = diagnostics(model, objectives, inputs, targets, step)
            optimizer.step()
            step += 1
            n = columns[0].shape[0]
            seen += n
            loss_sum += float(total)
            loss_count += 1
            for k in outputs:
                c = correct_count(k, outputs[k], targets[OBJECTIVES[k][4]])
                if c is not None:
                    correct[k] += c
            log_line(log, {
                'type': 'step', 'step': step, 'epoch': epoch,
                'epoch_fraction': epoch + (i + 1) / len(loader),
                'loss': float(total),
                'losses': [float(losses[k]) if k in losses else None
                           for k in range(len(OBJECTIVES))],
                'accuracy': [correct[k] / seen
                             if OBJECTIVES[k][3] == 'cross_entropy' else None
                             for k in range(len(OBJECTIVES))],
                'lr': optimizer.param_groups[0]['lr'],
                'steps_per_sec': 1.0 / max(time.time() - tick, 1e-9)})
            if diagnose:
                log_line(log, record)
        if scheduler is not None:
            scheduler.step()
        if rank == 0:
            val_loss, val_accuracy, count = evaluate(model, data, device)
            log_line(log, {
                'type': 'epoch', 'epoch': epoch,
                'train_loss': loss_sum / max(loss_count, 1),
                'train_accuracy': [
                    correct[k] / max(seen, 1)
                    if OBJECTIVES[k][3] == 'cross_entropy' else None
                    for k in range(len(OBJECTIVES))],
                'validation_loss': val_loss,
                'validation_accuracy': val_accuracy,
                'validation_samples': count,
                'seconds': time.time() - started})
            print(f'epoch {epoch + 1}: train loss '
                  f'{loss_sum / max(loss_count, 1):.4f} | validation loss '
                  + ' '.join(f'{v:.4f}' for v in val_loss), flush=True)
            if args.save:
                # The bare model: names without DDP's "module." prefix.
                write_safetensors(args.save, model.state_dict())
        if distributed:
            dist.barrier()
    log_line(log, {'type': 'finished', 'reason': 'completed',
                   'message': f'{args.epochs} epoch(s)', 'steps': step})
    if log:
        log.close()
    if distributed:
        dist.destroy_process_group()


if __name__ == '__main__':
    main()
)PY";

} // namespace

std::string exportTrainScript(const TrainScriptInput& in) {
    const ModelDocument& doc = *in.doc;
    const TrainingConfig& c = *in.config;
    const BlockDef* top = doc.findDefinition(doc.model);
    if (!top) throw Error("the model names no block definition '" + doc.model + "'");
    std::ostringstream s;
    s << "\"\"\"Train " << doc.model << " in PyTorch, exported by ModuleLab " << moduleLabVersion() << ".\n\n"
      << "Source: " << in.sourceName << "; the model is " << in.modelModule << ".py, the data\n"
      << in.dataFile << " (the samples ModuleLab trains on).\n\n"
      << "    python3 train.py --log run.jsonl --save weights.safetensors\n"
      << "    torchrun --nproc_per_node=2 train.py --log run.jsonl\n\n"
      << "The JSONL lines are modulelab-cli train --log's; the weights load with\n"
      << "modulelab-cli import-weights.\n\"\"\"\n\n"
      << "import argparse\nimport json\nimport math\nimport os\nimport struct\nimport time\n\n"
      << "import torch\nimport torch.distributed as dist\nimport torch.nn.functional as F\nfrom torch import nn\n"
      << "from torch.nn.parallel import DistributedDataParallel\n"
      << "from torch.utils.data import DataLoader, DistributedSampler, TensorDataset\n\n"
      << "from " << in.modelModule << " import " << doc.model << " as MODEL, read_safetensors\n\n";
    s << "DATA = " << quoted(in.dataFile) << "\n";
    s << "SEED = " << c.seed << "\n";
    s << "EPOCHS = " << c.epochs << "\n";
    s << "BATCH_SIZE = " << c.batchSize << "  # over all processes\n";
    s << "JOINT = " << (c.roundRobin ? "False" : "True") << "  # False: one task group per step, in turn\n";
    s << "CLIP_GRAD_NORM = " << num(c.clipGradNorm) << "\n";
    s << "DIAGNOSTICS_EVERY = " << std::max<Index>(1, c.diagnosticsEvery) << "\n";
    // Inputs, in the forward's order; float ones cut from each sample.
    s << "INPUTS = [";
    bool hasIndex = false;
    for (size_t i = 0; i < top->inputs.size(); ++i) {
        s << (i ? ", " : "") << quoted(top->inputs[i].name);
        hasIndex = hasIndex || top->inputs[i].dtype == ml::DType::Int64;
    }
    s << "]\nFLOAT_INPUTS = [\n";
    const std::vector<Index> sample = in.data->train.sampleShape();
    int floats = 0;
    for (const BlockInput& bi : top->inputs)
        if (bi.dtype == ml::DType::Float32) ++floats;
    for (const BlockInput& bi : top->inputs) {
        if (bi.dtype != ml::DType::Float32) continue;
        std::vector<Index> shape = floats == 1 ? sample : bi.shape.value_or(std::vector<Index>{});
        if (shape.empty()) throw Error(doc.model + ": input '" + bi.name + "' needs a shape for the script");
        s << "    (" << quoted(bi.name) << ", [";
        for (size_t k = 0; k < shape.size(); ++k) s << (k ? ", " : "") << shape[k];
        s << "]),\n";
    }
    s << "]\nOUTPUTS = [";
    for (size_t i = 0; i < top->outputs.size(); ++i) s << (i ? ", " : "") << quoted(top->outputs[i].name);
    s << "]\n";
    std::set<std::string> targets;
    s << "# (label, output, index inputs, loss, target, weight)\nOBJECTIVES = [\n";
    std::vector<std::string> groupKeys;
    std::vector<std::vector<size_t>> groups;
    const std::vector<Objective>& objs = *in.objectives;
    for (size_t k = 0; k < objs.size(); ++k) {
        const Objective& o = objs[k];
        std::string index = "{";
        std::string key;
        for (size_t i = 0; i < o.indexValues.size(); ++i) {
            index += (i ? ", " : "") + quoted(o.indexValues[i].first) + ": " + std::to_string(o.indexValues[i].second);
            key += (key.empty() ? "" : ", ") + o.indexValues[i].first + "=" + std::to_string(o.indexValues[i].second);
        }
        index += "}";
        if (key.empty()) key = o.output;
        auto it = std::find(groupKeys.begin(), groupKeys.end(), key);
        if (it == groupKeys.end()) {
            groupKeys.push_back(key);
            groups.push_back({k});
        } else {
            groups[static_cast<size_t>(it - groupKeys.begin())].push_back(k);
        }
        targets.insert(o.target);
        s << "    (" << quoted(o.label()) << ",\n     " << quoted(o.output) << ", " << index << ", "
          << quoted(lossKindName(o.loss)) << ", " << quoted(o.target) << ", " << num(o.weight) << "),\n";
    }
    s << "]\nGROUPS = [";
    for (size_t g = 0; g < groups.size(); ++g) {
        s << (g ? ", " : "") << "[";
        for (size_t i = 0; i < groups[g].size(); ++i) s << (i ? ", " : "") << groups[g][i];
        s << "]";
    }
    s << "]\nGROUP_LABELS = [";
    for (size_t g = 0; g < groupKeys.size(); ++g) s << (g ? ", " : "") << quoted(groupKeys[g]);
    s << "]\nTARGETS = [";
    {
        size_t i = 0;
        for (const data::Target& t : in.data->train.targets)
            if (targets.count(t.name)) s << (i++ ? ", " : "") << quoted(t.name);
    }
    s << "]\nFIND_UNUSED = " << (hasIndex || c.roundRobin ? "True" : "False") << "\n\n\n";
    const OptimizerConfig& o = c.optimizer;
    s << "def make_optimizer(parameters):\n";
    if (o.type == "sgd")
        s << "    return torch.optim.SGD(parameters, lr=" << num(o.lr) << ", momentum=" << num(o.momentum)
          << ",\n                           dampening=" << num(o.dampening)
          << ", weight_decay=" << num(o.weightDecay) << ",\n                           nesterov="
          << (o.nesterov ? "True" : "False") << ")\n";
    else
        s << "    return torch.optim." << (o.type == "adam" ? "Adam" : "AdamW") << "(parameters, lr=" << num(o.lr)
          << ", betas=(" << num(o.beta1) << ", " << num(o.beta2) << "),\n                            eps="
          << num(o.eps) << ", weight_decay=" << num(o.weightDecay) << ")\n";
    s << "\n\ndef make_scheduler(optimizer, epochs):\n";
    const LrScheduleConfig& l = c.lrSchedule;
    if (l.type == "step")
        s << "    return torch.optim.lr_scheduler.StepLR(optimizer, " << l.stepSize << ", gamma=" << num(l.gamma)
          << ")\n";
    else if (l.type == "cosine")
        s << "    return torch.optim.lr_scheduler.CosineAnnealingLR(\n        optimizer, "
          << (l.tMax > 0 ? std::to_string(l.tMax) : "epochs") << ", eta_min=" << num(l.etaMin) << ")\n";
    else
        s << "    return None\n";
    s << kBody;
    return s.str();
}

void writeTrainData(const TrainingData& data, const std::string& path) {
    std::vector<NamedTensor> tensors;
    for (const auto* set : {&data.train, &data.validation}) {
        const std::string prefix = set == &data.train ? "train." : "validation.";
        NamedTensor f{prefix + "features", DType::F32, set->features.shape, set->features.data, {}};
        tensors.push_back(std::move(f));
        for (const data::Target& t : set->targets) {
            NamedTensor n;
            n.name = prefix + t.name;
            if (t.kind == data::TargetKind::Classes) {
                n.dtype = DType::I64;
                n.shape = {static_cast<Index>(t.classes.size())};
                n.i64 = t.classes;
            } else {
                n.dtype = DType::F32;
                n.shape = t.values.shape;
                n.f32 = t.values.data;
            }
            tensors.push_back(std::move(n));
        }
    }
    writeSafetensors(path, tensors, {{"format", "pt"}});
}

} // namespace ml::io
