// `torchmix eval --checkpoint RUN`: rebuilds the model from the run's saved config, loads its
// weights and reports loss, accuracy and ECE on the test split.
import { torch, data } from '../index.js';
import { UsageError, parseFlags } from './args.js';
import { resolveConfig, flagsToConfig, DATASETS } from './config.js';
import { loadSplit, buildModel, loaderOptions, checkDevice, locateRun, loadWeights } from './build.js';
import { evaluateModel } from '../train/metrics.js';
import type { IO } from './io.js';

export const EVAL_HELP = `Usage: torchmix eval --checkpoint RUN_DIR|FILE [flags]

Rebuilds the model from the run's saved config (config.json or results.json), loads the weights
(checkpoint.safetensors) and reports loss, accuracy and expected calibration error on the test split.

  --checkpoint PATH      a run folder or its checkpoint.safetensors (required)
  --dataset NAME         evaluate on another dataset of the same shape (${DATASETS.join('|')})
  --data-dir DIR         folder of the dataset files (default: the run's)
  --device DEV           cpu|cuda|cuda:N (default cpu)
  --batch-size N         evaluation batch size (default 1000)
  --threads N            CPU threads of LibTorch
  --json                 print the metrics as JSON
  -h, --help             this help
`;

const OPTIONS = {
  checkpoint: { type: 'string' as const },
  dataset: { type: 'string' as const },
  'data-dir': { type: 'string' as const },
  device: { type: 'string' as const },
  'batch-size': { type: 'string' as const },
  threads: { type: 'string' as const },
  json: { type: 'boolean' as const },
  help: { type: 'boolean' as const, short: 'h' },
};

export async function evalCommand(argv: string[], io: IO): Promise<number> {
  const { values } = parseFlags(argv, OPTIONS, 'eval');
  if (values.help) {
    io.out(EVAL_HELP);
    return 0;
  }
  if (typeof values.checkpoint !== 'string')
    throw new UsageError("--checkpoint: required (a run folder or its checkpoint.safetensors); see 'torchmix eval --help'");
  const run = locateRun(values.checkpoint);
  const f = flagsToConfig({ dataset: values.dataset, 'data-dir': values['data-dir'], device: values.device ?? 'cpu', threads: values.threads });
  const bs = values['batch-size'] === undefined ? 1000 : Number(values['batch-size']);
  if (!Number.isInteger(bs) || bs < 1) throw new UsageError(`--batch-size: expected a positive integer, got '${String(values['batch-size'])}'`);
  // The saved config is trusted as a base; out/resume are irrelevant here.
  const cfg = resolveConfig([
    { values: { ...run.config, resume: false }, origin: { kind: 'saved', file: run.dir } },
    { values: f, origin: { kind: 'flag' } },
  ]);
  checkDevice(cfg);
  if (cfg.threads !== undefined) torch.setNumThreads(cfg.threads);
  const test = loadSplit(cfg, 'test');
  const model = buildModel(cfg, test);
  const saved = (run.config.dataset as string) ?? cfg.dataset;
  try {
    loadWeights(model, run.weights);
  } catch (e) {
    if (e instanceof UsageError && cfg.dataset !== saved)
      throw new UsageError(`--dataset: the run was trained on ${saved}; its model does not fit ${cfg.dataset} (${e.message})`);
    throw e;
  }
  model.to(cfg.device);
  const loader = new data.DataLoader(test, { ...loaderOptions(cfg, false), batchSize: bs });
  const t0 = Date.now();
  const r = evaluateModel(model, loader);
  loader.dispose();
  const seconds = (Date.now() - t0) / 1000;
  if (values.json) io.out(JSON.stringify({ checkpoint: run.weights, dataset: cfg.dataset, split: 'test', ...r, seconds }) + '\n');
  else
    io.out(
      `${cfg.dataset} test split (${r.n} samples), ${cfg.model} from ${run.weights}:\n` +
        `  accuracy ${(100 * r.acc).toFixed(2)}%   loss ${r.loss.toFixed(4)}   ECE ${(100 * r.ece).toFixed(2)}%   (${seconds.toFixed(1)} s)\n`,
    );
  return 0;
}
