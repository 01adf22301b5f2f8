"""Check `modulelab-cli export pytorch` against the engine itself.

For every example (and tests/export/shared_task.json: a same_as
registration, one instance called twice, a runtime task select): export,
py_compile and pycodestyle the file, import it, load the weights ModuleLab
wrote, and compare its eval-mode outputs with `modulelab-cli predict` on the
same input (1e-4 relative); state_dict() names and shapes must equal
`summary --json`'s. Exits 77 (CTest's skip) where torch is not installed.

usage: python3 check_export.py MODULELAB_CLI SOURCE_DIR WORK_DIR
"""

import importlib.util
import json
import os
import py_compile
import struct
import subprocess
import sys

try:
    import torch
except ImportError:
    print('SKIPPED: this python3 has no torch (apt-get install python3-torch)')
    sys.exit(77)

CLI, SOURCE, WORK = sys.argv[1:4]
MODELS = ['multitask', 'simple_cnn', 'resnet', 'siamese']
TASK_INDEX = 1  # the head the runtime select picks in the check


def run(*args):
    done = subprocess.run([CLI, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f'modulelab-cli {" ".join(args)} failed:\n'
                         f'{done.stdout}{done.stderr}')
    return done.stdout


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.contiguous().numpy().tobytes()
        dtype = {torch.float32: 'F32', torch.int64: 'I64'}[t.dtype]
        header[name] = {'dtype': dtype, 'shape': list(t.shape),
                        'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(chunks))


def check(model_path, name):
    out = os.path.join(WORK, name)
    os.makedirs(out, exist_ok=True)
    code = os.path.join(out, name + '_model.py')
    run('export', 'pytorch', model_path, '-o', code)
    py_compile.compile(code, doraise=True)
    style = subprocess.run([sys.executable, '-m', 'pycodestyle', code],
                           capture_output=True, text=True)
    if style.returncode != 0:
        raise SystemExit(f'{name}: pycodestyle:\n{style.stdout}{style.stderr}')

    weights = os.path.join(out, 'weights.safetensors')
    run('train', model_path, '--max-steps', '2', '--seed', '3',
        '--save', weights)
    summary = json.loads(run('summary', '--json', model_path))

    spec = importlib.util.spec_from_file_location(name + '_model', code)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
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
    write_safetensors(x_path, inputs)
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
    keys = {}
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            keys.setdefault(record['type'], set(record))
    return keys


def check_train_script():
    """Two epochs of the exported script under torchrun (2 processes, gloo
    on the CPU): the loss falls, the log reads as a ModuleLab run with the
    CLI's keys, and the weights import."""
    model = os.path.join(SOURCE, 'resources', 'examples', 'multitask.json')
    out = os.path.join(WORK, 'train_script')
    os.makedirs(out, exist_ok=True)
    script = os.path.join(out, 'train.py')
    run('export', 'train-script', model, '-o', script)
    for f in ('train.py', 'model.py'):
        py_compile.compile(os.path.join(out, f), doraise=True)
    style = subprocess.run([sys.executable, '-m', 'pycodestyle', script],
                           capture_output=True, text=True)
    if style.returncode != 0:
        raise SystemExit(f'train.py: pycodestyle:\n{style.stdout}')
    log = os.path.join(out, 'run.jsonl')
    weights = os.path.join(out, 'weights.safetensors')
    # --redirects/--tee 1: torch 1.13's default (0) breaks on Python 3.11.
    done = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--standalone',
         '--nproc_per_node=2', '--redirects', '1', '--tee', '1', script,
         '--epochs', '2', '--log', log, '--save', weights],
        capture_output=True, text=True, cwd=out)
    if done.returncode != 0:
        raise SystemExit(f'torchrun failed:\n{done.stdout}{done.stderr}')
    epochs = [json.loads(line) for line in open(log)
              if json.loads(line)['type'] == 'epoch']
    losses = [e['train_loss'] for e in epochs]
    print(f'torchrun: train loss per epoch {losses}')
    if len(losses) != 2 or not losses[1] < losses[0]:
        raise SystemExit(f'the loss did not fall: {losses}')
    print(run('log', log).strip())
    cli_log = os.path.join(out, 'cli.jsonl')
    run('train', model, '--max-steps', '11', '--log', cli_log)
    theirs, ours = report_keys(log), report_keys(cli_log)
    for kind in ('step', 'diagnostics', 'epoch', 'finished'):
        if theirs.get(kind) != ours.get(kind):
            raise SystemExit(f'{kind} lines differ: {theirs.get(kind)} '
                             f'vs the CLI\'s {ours.get(kind)}')
    print(run('import-weights', model, weights, '-o',
              os.path.join(out, 'imported.safetensors')).strip())


def main():
    torch.manual_seed(0)
    for m in MODELS:
        check(os.path.join(SOURCE, 'resources', 'examples', m + '.json'), m)
    check(os.path.join(SOURCE, 'tests', 'export', 'shared_task.json'),
          'shared_task')
    # The tutorial's broken block is refused, naming the problem.
    tutorial = os.path.join(SOURCE, 'resources', 'examples',
                            'resnet_tutorial.json')
    done = subprocess.run([CLI, 'export', 'pytorch', tutorial],
                          capture_output=True, text=True)
    if done.returncode != 1 or "node 'sum' (add)" not in done.stderr:
        raise SystemExit('resnet_tutorial.json was not refused: '
                         + done.stdout + done.stderr)
    check_train_script()
    print('all exports match')


main()
