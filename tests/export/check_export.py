"""Check `modulelab-cli export pytorch` against the engine itself.

For every example, tests/export/shared_task.json (a same_as registration,
one instance called twice, a runtime task select) and
tests/export/every_layer.json (each layer and op of the catalog): export,
py_compile and pycodestyle the file, import it, load the weights ModuleLab
wrote with the file's own reader, and compare its eval-mode outputs with
`modulelab-cli predict` on the same input (1e-4 relative); state_dict()
names and shapes must equal `summary --json`'s. Then the exported training
script, alone and under torchrun, against `train --log`. Exits 77 (CTest's
skip) where torch is not installed.

usage: python3 check_export.py MODULELAB_CLI SOURCE_DIR WORK_DIR
"""

import importlib.util
import json
import math
import os
import py_compile
import subprocess
import sys
import time

try:
    import torch
except ImportError:
    print('SKIPPED: this python3 has no torch (apt-get install python3-torch)')
    sys.exit(77)

CLI, SOURCE, WORK = sys.argv[1:4]
EXAMPLES = os.path.join(SOURCE, 'resources', 'examples')
BROKEN = 'resnet_tutorial'  # the tutorial's unfinished block: refused
MODELS = sorted(f[:-5] for f in os.listdir(EXAMPLES)
                if f.endswith('.json') and f[:-5] != BROKEN)
TASK_INDEX = 1  # the head the runtime select picks in the check


def run(*args):
    done = subprocess.run([CLI, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f'modulelab-cli {" ".join(args)} failed:\n'
                         f'{done.stdout}{done.stderr}')
    return done.stdout


def pycodestyle(path):
    style = subprocess.run([sys.executable, '-m', 'pycodestyle', path],
                           capture_output=True, text=True)
    if style.returncode != 0:
        raise SystemExit(f'{path}: pycodestyle:\n{style.stdout}{style.stderr}')


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check(model_path, name):
    out = os.path.join(WORK, name)
    os.makedirs(out, exist_ok=True)
    code = os.path.join(out, name + '_model.py')
    run('export', 'pytorch', model_path, '-o', code)
    py_compile.compile(code, doraise=True)
    pycodestyle(code)

    weights = os.path.join(out, 'weights.safetensors')
    run('train', model_path, '--max-steps', '2', '--seed', '3',
        '--save', weights)
    summary = json.loads(run('summary', '--json', model_path))

    # The generated file's own reader and writer move every tensor here.
    module = load_module(code, name + '_model')
    net = getattr(module, summary['model'])()
    got = [(k, list(v.shape)) for k, v in net.state_dict().items()]
    want = [(e['name'], e['shape']) for e in summary['state_dict']]
    if got != want:
        raise SystemExit(f'{name}: state_dict differs:\n{got}\n{want}')
    module.load_safetensors(net, weights)
    net.eval()

    gen = torch.Generator().manual_seed(7)
    inputs, args = {}, []
    for i in summary['inputs']:
        if i['dtype'] == 'int64':
            inputs[i['name']] = torch.tensor([TASK_INDEX])
            args.append(TASK_INDEX)
            continue
        dims = [5] + json.loads(i['shape'].replace('N', '0'))[1:]
        inputs[i['name']] = torch.randn(dims, generator=gen)
        args.append(inputs[i['name']])
    x_path = os.path.join(out, 'input.safetensors')
    y_path = os.path.join(out, 'output.safetensors')
    module.write_safetensors(x_path, inputs)
    run('predict', model_path, '--weights', weights, '--input', x_path,
        '-o', y_path)
    expected = module.read_safetensors(y_path)
    with torch.no_grad():
        result = net(*args)
    if not isinstance(result, tuple):
        result = (result,)
    for o, y in zip(summary['outputs'], result):
        e = expected[o['name']]
        err = float((y - e).norm() / e.norm().clamp_min(1e-12))
        print(f'{name}: {o["name"]} {list(y.shape)} relative error {err:.2e}')
        if list(y.shape) != list(e.shape) or err > 1e-4:
            raise SystemExit(f'{name}: output {o["name"]} differs ({err:.2e})')


def report_keys(path):
    """Per report type its keys, and per list of objects in a report
    ("diagnostics.shared_uses") the keys of those objects."""
    keys = {}
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            kind = record['type']
            keys.setdefault(kind, set()).update(record)
            for k, v in record.items():
                if isinstance(v, list) and v and isinstance(v[0], dict):
                    for entry in v:
                        keys.setdefault(f'{kind}.{k}', set()).update(entry)
    return keys


def first_diagnostics(path):
    with open(path) as f:
        return next(r for r in map(json.loads, f)
                    if r['type'] == 'diagnostics')


def check_train_script(model, name, processes):
    """Two epochs of the exported script (under torchrun when processes >
    1: gloo on the CPU): the loss falls, the log reads as a ModuleLab run
    with the CLI's keys, modules, parameters, shared uses and task pairs in
    the CLI's order and update ratios, and the weights import into a
    checkpoint that `train --resume` starts from."""
    out = os.path.join(WORK, name)
    os.makedirs(out, exist_ok=True)
    script = os.path.join(out, 'train.py')
    run('export', 'train-script', model, '-o', script)
    for f in ('train.py', 'model.py'):
        py_compile.compile(os.path.join(out, f), doraise=True)
        pycodestyle(os.path.join(out, f))
    log = os.path.join(out, 'run.jsonl')
    weights = os.path.join(out, 'weights.safetensors')
    command = [sys.executable, script]
    if processes > 1:
        # --redirects/--tee 1: torch 1.13's default (0) breaks on Python 3.11.
        command = [sys.executable, '-m', 'torch.distributed.run',
                   '--standalone', f'--nproc_per_node={processes}',
                   '--redirects', '1', '--tee', '1', script]
    started = time.time()
    done = subprocess.run(command + ['--epochs', '2', '--log', log,
                                     '--save', weights],
                          capture_output=True, text=True, cwd=out)
    if done.returncode != 0:
        raise SystemExit(f'{name}: {" ".join(command)} failed:\n'
                         f'{done.stdout}{done.stderr}')
    with open(log) as f:
        losses = [r['train_loss'] for r in map(json.loads, f)
                  if r['type'] == 'epoch']
    print(f'{name}: {processes} process(es), {time.time() - started:.1f} s,'
          f' train loss per epoch {losses}')
    if len(losses) != 2 or not losses[1] < losses[0]:
        raise SystemExit(f'{name}: the loss did not fall: {losses}')
    print(run('log', log).strip())

    cli_log = os.path.join(out, 'cli.jsonl')
    run('train', model, '--max-steps', '11', '--log', cli_log)
    theirs, ours = report_keys(log), report_keys(cli_log)
    for kind in ('step', 'diagnostics', 'epoch', 'finished',
                 'diagnostics.modules', 'diagnostics.parameters',
                 'diagnostics.shared_uses', 'diagnostics.task_cosines'):
        if theirs.get(kind) != ours.get(kind):
            raise SystemExit(f'{name}: {kind} keys differ: {theirs.get(kind)}'
                             f' vs the CLI\'s {ours.get(kind)}')
    a, b = first_diagnostics(log), first_diagnostics(cli_log)
    for field, key in (('modules', ('path', 'type')),
                       ('parameters', ('name',)),
                       ('shared_uses', ('parameter', 'use')),
                       ('task_cosines', ('a', 'b'))):
        got = [tuple(e[k] for k in key) for e in a[field]]
        want = [tuple(e[k] for k in key) for e in b[field]]
        if got != want:
            raise SystemExit(f'{name}: diagnostics {field} differ:\n{got}\n'
                             f'the CLI: {want}')
    ratios = [p['update_ratio'] for p in a['parameters']]
    if not all(isinstance(r, float) and 0 < r < 1 for r in ratios):
        raise SystemExit(f'{name}: update ratios {ratios}')
    uses = [u['grad_norm'] for u in a['shared_uses']]
    if not all(math.isfinite(u) and u >= 0 for u in uses) or (
            uses and max(uses) == 0):
        raise SystemExit(f'{name}: shared use gradient norms {uses}')
    # The calls' gradients add up to the parameter's: its norm lies between
    # the largest use's minus the others' and their sum.
    grads = {p['name']: p['grad_norm'] for p in a['parameters']}
    for param in {u['parameter'] for u in a['shared_uses']}:
        norms = [u['grad_norm'] for u in a['shared_uses']
                 if u['parameter'] == param]
        low, high = 2 * max(norms) - sum(norms), sum(norms)
        if not low - 1e-6 * high <= grads[param] <= high * (1 + 1e-6):
            raise SystemExit(f'{name}: {param}: gradient norm {grads[param]}'
                             f' outside its uses\' [{low}, {high}]')
    print(f'{name}: {len(a["modules"])} modules, {len(ratios)} update ratios'
          f' {min(ratios):.2e}..{max(ratios):.2e}, shared uses '
          + ', '.join(f'{u["parameter"]} @ {u["use"]} {u["grad_norm"]:.3g}'
                      for u in a['shared_uses']))

    checkpoint = os.path.join(out, 'imported.ckpt')
    print(run('import-weights', model, weights, '-o', checkpoint).strip())
    resumed = os.path.join(out, 'resumed.jsonl')
    run('train', model, '--resume', checkpoint, '--max-steps', '1',
        '--log', resumed)
    with open(resumed) as f:
        first = next(r for r in map(json.loads, f) if r['type'] == 'step')
    print(f'{name}: train --resume {os.path.basename(checkpoint)}: first '
          f'loss {first["loss"]:.4f} (the script\'s last epoch: '
          f'{losses[-1]:.4f})')


def main():
    torch.manual_seed(0)
    for m in MODELS:
        check(os.path.join(EXAMPLES, m + '.json'), m)
    for extra in ('shared_task', 'every_layer'):
        check(os.path.join(SOURCE, 'tests', 'export', extra + '.json'), extra)
    # The tutorial's broken block is refused, naming the problem.
    tutorial = os.path.join(EXAMPLES, BROKEN + '.json')
    done = subprocess.run([CLI, 'export', 'pytorch', tutorial],
                          capture_output=True, text=True)
    if done.returncode != 1 or "node 'sum' (add)" not in done.stderr:
        raise SystemExit('resnet_tutorial.json was not refused: '
                         + done.stdout + done.stderr)
    check_train_script(os.path.join(EXAMPLES, 'multitask.json'),
                       'train_multitask', 1)
    # A shared trunk (same_as, called twice) and a runtime task select.
    check_train_script(os.path.join(SOURCE, 'tests', 'export',
                                    'shared_task.json'), 'train_shared', 2)
    print('all exports match')


main()
