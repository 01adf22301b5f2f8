#include "train/TrainScriptExport.h"

#include "core/Error.h"
#include "io/PyTorchExport.h"
#include "io/Safetensors.h"
#include "shape/Analysis.h"

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

// Not "quoted": std::quoted, found by ADL, wins for a non-const string.
std::string pyString(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

// Which module instances one forward of block instance `id` runs on its way
// to the wanted outputs, given the values of its index inputs (-1: not an
// index, or unknown). Returns which of its inputs the wanted outputs read.
// A parameter of an instance left out gets no gradient in that forward.
std::vector<bool> reach(const Analysis& a, InstanceId id, const std::vector<bool>& wanted,
                        const std::vector<Index>& index, std::set<InstanceId>& used);

// The same for any instance called with one input (layers, containers).
void reachCall(const Analysis& a, InstanceId id, std::set<InstanceId>& used) {
    const ModuleInstance& m = a.tree.at(id);
    used.insert(id);
    if (m.kind == ModuleKind::Block) {
        reach(a, id, std::vector<bool>(m.block->outputs.size(), true),
              std::vector<Index>(m.block->inputs.size(), -1), used);
        return;
    }
    for (const ChildRef& c : m.children) reachCall(a, c.id, used);
}

std::vector<bool> reach(const Analysis& a, InstanceId id, const std::vector<bool>& wanted,
                        const std::vector<Index>& index, std::set<InstanceId>& used) {
    const ModuleInstance& m = a.tree.at(id);
    used.insert(id);
    const BlockDef& def = *m.block;
    const BlockGraph& graph = a.graphOf(def);
    std::vector<bool> inputs(def.inputs.size(), false);
    std::vector<std::vector<bool>> outs(def.nodes.size());
    auto need = [&](const GraphSource& src) {
        if (src.node < 0) {
            inputs[static_cast<size_t>(src.input)] = true;
            return;
        }
        auto& o = outs[static_cast<size_t>(src.node)];
        if (o.size() <= static_cast<size_t>(src.output)) o.resize(static_cast<size_t>(src.output) + 1, false);
        o[static_cast<size_t>(src.output)] = true;
    };
    for (size_t o = 0; o < graph.outputs.size(); ++o)
        if (wanted[o]) need(graph.outputs[o]);
    for (auto it = graph.order.rbegin(); it != graph.order.rend(); ++it) {
        const size_t ni = static_cast<size_t>(*it);
        const Node& n = def.nodes[ni];
        if (outs[ni].empty()) continue; // nothing wanted reads it
        const std::vector<GraphSource>& sources = graph.inputs[ni];
        if (!n.isCall()) {
            for (const GraphSource& src : sources) need(src);
            continue;
        }
        const auto child = std::find_if(m.children.begin(), m.children.end(),
                                        [&](const ChildRef& c) { return c.name == n.call; });
        const ModuleInstance& callee = a.tree.at(child->id);
        std::vector<InstanceId> items{child->id};
        if (n.listUse != ListUse::None) {
            used.insert(callee.id);
            items.clear();
            for (const ChildRef& c : callee.children) items.push_back(c.id);
            if (n.listUse == ListUse::Index) {
                const Index size = static_cast<Index>(items.size());
                Index k = -1;
                if (n.constIndex) {
                    k = *n.constIndex < 0 ? *n.constIndex + size : *n.constIndex;
                } else {
                    const auto port = std::find_if(def.inputs.begin(), def.inputs.end(),
                                                   [&](const BlockInput& b) { return b.name == n.indexInput; });
                    inputs[static_cast<size_t>(port - def.inputs.begin())] = true;
                    k = index[static_cast<size_t>(port - def.inputs.begin())];
                }
                if (k >= 0 && k < size) items = {items[static_cast<size_t>(k)]};
            }
        }
        for (const InstanceId item : items) {
            const ModuleInstance& im = a.tree.at(item);
            if (im.kind != ModuleKind::Block) {
                reachCall(a, item, used);
                for (const GraphSource& src : sources) need(src);
                continue;
            }
            // A block's index inputs take the values of the sources that feed them.
            std::vector<Index> values(im.block->inputs.size(), -1);
            for (size_t i = 0; i < sources.size() && i < values.size(); ++i)
                if (sources[i].node < 0) values[i] = index[static_cast<size_t>(sources[i].input)];
            std::vector<bool> want(im.block->outputs.size());
            for (size_t o = 0; o < want.size(); ++o) want[o] = o < outs[ni].size() && outs[ni][o];
            const std::vector<bool> read = reach(a, item, want, values, used);
            for (size_t i = 0; i < sources.size() && i < read.size(); ++i)
                if (read[i]) need(sources[i]);
        }
    }
    return inputs;
}

// FIND_UNUSED, with why: DDP must look for parameters a step leaves without
// gradient (a head the step's task does not select, an output no objective
// reads); looking costs a graph walk per step, so it is on only then.
std::string findUnusedLine(const Analysis& a, const BlockDef& top, const std::vector<Objective>& objectives,
                           const std::vector<std::vector<size_t>>& groups, const std::vector<std::string>& groupKeys,
                           bool roundRobin) {
    std::vector<std::vector<size_t>> stepKinds; // the groups one step runs
    if (roundRobin)
        for (size_t g = 0; g < groups.size(); ++g) stepKinds.push_back({g});
    else {
        stepKinds.emplace_back();
        for (size_t g = 0; g < groups.size(); ++g) stepKinds.back().push_back(g);
    }
    for (const std::vector<size_t>& kind : stepKinds) {
        std::set<InstanceId> used;
        for (const size_t g : kind) {
            std::vector<Index> index(top.inputs.size(), -1);
            std::vector<bool> wanted(top.outputs.size(), false);
            for (const size_t k : groups[g]) {
                const Objective& o = objectives[k];
                for (const auto& [name, value] : o.indexValues)
                    for (size_t i = 0; i < top.inputs.size(); ++i)
                        if (top.inputs[i].name == name) index[i] = value;
                for (size_t i = 0; i < top.outputs.size(); ++i)
                    if (top.outputs[i].name == o.output) wanted[i] = true;
            }
            reach(a, a.tree.root().id, wanted, index, used);
        }
        for (const ModuleInstance& m : a.tree.instances) {
            if (used.count(m.id)) continue;
            for (const TensorSpec& t : m.tensors) {
                if (t.isBuffer) continue;
                std::string step = roundRobin ? "A step of " + groupKeys[kind.front()] : "A step";
                return "# " + step + " leaves " + m.path + "." + t.name + "\n# without gradient: DDP must look for " +
                       "parameters it did not reach.\nFIND_UNUSED = True\n";
            }
        }
    }
    return "# Every step reaches every parameter.\nFIND_UNUSED = False\n";
}

// Each call site of a shared parameter, in the plan's order (the CLI's
// shared_uses), with the index value it runs under: the script gives each
// call its own alias of the parameters and reads the alias's gradient.
std::string sharedUsesTable(const ModelDocument& doc, const Analysis& analysis) {
    ParameterStore store(analysis.tree);
    const Plan plan(doc, analysis, store, 1); // guarded: a use in a selected head knows its index value
    if (plan.parameterUses().empty()) return "SHARED_USES = []\n";
    std::string out = "# (parameter, use, module, call, index input, value): each call of a\n"
                      "# shared module, whose gradient modulelab-cli reports on its own\nSHARED_USES = [\n";
    int call = -1, lastStep = -1;
    for (const ParameterUse& u : plan.parameterUses()) {
        if (u.step != lastStep) ++call; // weight and bias of one call
        lastStep = u.step;
        const std::string& name = store.at(u.parameter).name;
        const std::string module = name.substr(0, name.rfind('.'));
        const std::string guard = u.guardInput < 0 ? "None, None"
                                                   : pyString(plan.inputName(u.guardInput)) + ", " + std::to_string(u.guardValue);
        const std::string rest = pyString(module) + ", " + std::to_string(call) + ", " + guard + "),";
        std::string line = "    (" + pyString(name) + ", " + pyString(u.label) + ", " + rest;
        if (line.size() > 79) line = "    (" + pyString(name) + ", " + pyString(u.label) + ",\n     " + rest;
        out += line + "\n";
    }
    return out + "]\n";
}

// The part of the script every model shares; the model's settings come first.
const char* kBody = R"PY(

def log_line(log, record):
    if log:
        log.write(json.dumps(record) + '\n')
        log.flush()


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


class UseGradients:
    """The gradient each call of a shared module adds (the CLI's
    shared_uses). While on, every call of such a module reads its own alias
    of the parameters (a view, so the parameter's gradient is unchanged) and
    a hook on the alias keeps the gradient that reaches it."""

    def __init__(self, model):
        self.model = model
        self.handles, self.pending, self.originals = [], {}, {}
        self.grads = [None] * len(SHARED_USES)

    def start(self):
        self.grads = [None] * len(SHARED_USES)
        if not SHARED_USES:
            return
        self.handles.append(
            self.model.register_forward_pre_hook(self.forward_begins))
        for path in dict.fromkeys(use[2] for use in SHARED_USES):
            module = self.model.get_submodule(path)
            self.handles.append(module.register_forward_pre_hook(
                functools.partial(self.call_begins, path)))
            self.handles.append(module.register_forward_hook(
                functools.partial(self.call_ends, path)))

    def stop(self):
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def forward_begins(self, model, args):
        # The calls this forward makes, per module, in the plan's order; a
        # use in a head another index value selects does not run.
        values = dict(zip(INPUTS, args))
        calls = {}
        for k, (_, _, path, call, index, value) in enumerate(SHARED_USES):
            if index is None or values[index] == value:
                calls.setdefault(path, {}).setdefault(call, []).append(k)
        self.pending = {p: list(c.values()) for p, c in calls.items()}

    def call_begins(self, path, module, args):
        if not self.pending.get(path):
            return
        self.originals[path] = dict(module._parameters)
        for k in self.pending[path].pop(0):
            attr = SHARED_USES[k][0].rsplit('.', 1)[1]
            alias = module._parameters[attr].view_as(module._parameters[attr])
            alias.register_hook(functools.partial(self.keep, k))
            module._parameters[attr] = alias

    def call_ends(self, path, module, args, output):
        if path in self.originals:
            module._parameters.update(self.originals.pop(path))

    def keep(self, k, grad):
        if self.grads[k] is None:
            self.grads[k] = grad.detach().clone()
        else:
            self.grads[k] += grad

    def norms(self, world):
        """Each use's gradient norm, averaged over the processes as DDP
        averages the parameters' gradients (every process calls this)."""
        norms = []
        for k, (name, _, _, _, _, _) in enumerate(SHARED_USES):
            grad = self.grads[k]
            if grad is None:
                grad = torch.zeros_like(self.model.get_parameter(name))
            if world > 1:
                dist.all_reduce(grad)
                grad = grad / world
            norms.append(float(grad.norm()))
        return norms


def correct_count(k, y, t):
    if OBJECTIVES[k][3] != 'cross_entropy':
        return None
    return int((y.argmax(dim=1) == t).sum())


def diagnostics(model, objectives, inputs, targets, step, use_norms):
    """Per-module gradient norms of the step's gradient (already in .grad),
    each shared call's, and the cosine between task groups' gradients on
    shared parameters. update_ratio is filled in after the step."""
    modules = []
    for path, module in model.named_modules():
        params = list(module.parameters())
        if not params:
            continue  # as the CLI: modules that hold parameters
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
    uses = [{'parameter': name, 'use': use, 'grad_norm': norm}
            for (name, use, *_), norm in zip(SHARED_USES, use_norms)]
    return {'type': 'diagnostics', 'step': step, 'modules': modules,
            'parameters': parameters, 'shared_uses': uses,
            'task_cosines': cosines, 'task_grad_norms': task_norms}


def update_ratios(record, before, model):
    """||update|| / ||weight before it|| of each parameter (None for a zero
    weight), as modulelab-cli train --log reports it."""
    for entry, old, p in zip(record['parameters'], before,
                             model.parameters()):
        norm = float(old.norm())
        entry['update_ratio'] = (float((p.detach() - old).norm()) / norm
                                 if norm > 0 else None)


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
    parser.add_argument('--seed', type=int, default=SEED,
                        help='initialization and shuffling (default: the '
                             "model file's)")
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
    torch.manual_seed(args.seed)

    here = os.path.dirname(os.path.abspath(__file__))
    data = read_safetensors(os.path.join(here, DATA))
    train_inputs = split_inputs(data['train.features'])
    names = list(train_inputs)
    dataset = TensorDataset(*train_inputs.values(),
                            *[data['train.' + t] for t in TARGETS])
    sampler = (DistributedSampler(dataset, shuffle=True, seed=args.seed)
               if distributed else None)
    batch = max(1, BATCH_SIZE // world)
    loader = DataLoader(dataset, batch_size=batch, shuffle=sampler is None,
                        sampler=sampler, drop_last=False,
                        generator=torch.Generator().manual_seed(args.seed))

    model = MODEL().to(device)
    objectives = Objectives(model)
    use_gradients = UseGradients(model)
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
            # Every process diagnoses the same steps: use gradients are
            # averaged over them; rank 0 writes the line.
            diagnose = step % DIAGNOSTICS_EVERY == 0
            optimizer.zero_grad()
            if diagnose:
                use_gradients.start()
            total, losses, outputs = step_module(inputs, targets, groups)
            use_gradients.stop()
            total.backward()
            if CLIP_GRAD_NORM:
                nn.utils.clip_grad_norm_(model.parameters(), CLIP_GRAD_NORM)
            if diagnose:
                use_norms = use_gradients.norms(world)
            diagnose = diagnose and rank == 0
            if diagnose:
                record = diagnostics(model, objectives, inputs, targets, step,
                                     use_norms)
                before = [p.detach().clone() for p in model.parameters()]
            optimizer.step()
            if diagnose:
                update_ratios(record, before, model)
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
                save_safetensors(model, args.save)
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
      << "import argparse\nimport functools\nimport json\nimport math\nimport os\nimport time\n\n"
      << "import torch\nimport torch.distributed as dist\nimport torch.nn.functional as F\nfrom torch import nn\n"
      << "from torch.nn.parallel import DistributedDataParallel\n"
      << "from torch.utils.data import DataLoader, DistributedSampler, TensorDataset\n\n"
      << "from " << in.modelModule << " import " << doc.model << " as MODEL\n"
      << "from " << in.modelModule << " import read_safetensors, save_safetensors\n\n";
    s << "DATA = " << pyString(in.dataFile) << "\n";
    s << "SEED = " << c.seed << "\n";
    s << "EPOCHS = " << c.epochs << "\n";
    s << "BATCH_SIZE = " << c.batchSize << "  # over all processes\n";
    s << "JOINT = " << (c.roundRobin ? "False" : "True") << "  # False: one task group per step, in turn\n";
    s << "CLIP_GRAD_NORM = " << num(c.clipGradNorm) << "\n";
    s << "DIAGNOSTICS_EVERY = " << std::max<Index>(1, c.diagnosticsEvery) << "\n";
    // Inputs, in the forward's order; float ones cut from each sample.
    s << "INPUTS = [";
    for (size_t i = 0; i < top->inputs.size(); ++i) s << (i ? ", " : "") << pyString(top->inputs[i].name);
    s << "]\nFLOAT_INPUTS = [\n";
    const std::vector<Index> sample = in.data->train.sampleShape();
    int floats = 0;
    for (const BlockInput& bi : top->inputs)
        if (bi.dtype == ml::DType::Float32) ++floats;
    for (const BlockInput& bi : top->inputs) {
        if (bi.dtype != ml::DType::Float32) continue;
        std::vector<Index> shape = floats == 1 ? sample : bi.shape.value_or(std::vector<Index>{});
        if (shape.empty()) throw Error(doc.model + ": input '" + bi.name + "' needs a shape for the script");
        s << "    (" << pyString(bi.name) << ", [";
        for (size_t k = 0; k < shape.size(); ++k) s << (k ? ", " : "") << shape[k];
        s << "]),\n";
    }
    s << "]\nOUTPUTS = [";
    for (size_t i = 0; i < top->outputs.size(); ++i) s << (i ? ", " : "") << pyString(top->outputs[i].name);
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
            index += (i ? ", " : "") + pyString(o.indexValues[i].first) + ": " + std::to_string(o.indexValues[i].second);
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
        s << "    (" << pyString(o.label()) << ",\n     " << pyString(o.output) << ", " << index << ", "
          << pyString(lossKindName(o.loss)) << ", " << pyString(o.target) << ", " << num(o.weight) << "),\n";
    }
    s << "]\nGROUPS = [";
    for (size_t g = 0; g < groups.size(); ++g) {
        s << (g ? ", " : "") << "[";
        for (size_t i = 0; i < groups[g].size(); ++i) s << (i ? ", " : "") << groups[g][i];
        s << "]";
    }
    s << "]\nGROUP_LABELS = [";
    for (size_t g = 0; g < groupKeys.size(); ++g) s << (g ? ", " : "") << pyString(groupKeys[g]);
    s << "]\nTARGETS = [";
    {
        size_t i = 0;
        for (const data::Target& t : in.data->train.targets)
            if (targets.count(t.name)) s << (i++ ? ", " : "") << pyString(t.name);
    }
    s << "]\n";
    const Analysis analysis = analyze(doc);
    s << findUnusedLine(analysis, *top, objs, groups, groupKeys, c.roundRobin);
    s << sharedUsesTable(doc, analysis) << "\n\n";
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
