// torchmix command line: `torchmix <command> [flags]`. Exit codes: 0 ok, 1 failure, 2 bad usage
// (the message names the flag), 130 interrupted (Ctrl-C; a checkpoint was written).
import { pathToFileURL } from 'node:url';
import { UsageError, didYouMean } from './args.js';
import { processIO, type IO } from './io.js';

const COMMANDS: Record<string, { summary: string; run: () => Promise<(argv: string[], io: IO) => Promise<number>> }> = {
  train: { summary: 'train a model with a mixing method; writes results.json and report.html', run: async () => (await import('./train.js')).trainCommand },
  eval: { summary: "evaluate a run's checkpoint on the test split (loss, accuracy, ECE)", run: async () => (await import('./eval.js')).evalCommand },
  attack: {
    summary: "accuracy of a run's model under FGSM/BIM/PGD over an ε grid; writes robustness.json",
    run: async () => (await import('./attack.js')).attackCommand,
  },
  methods: { summary: 'list the mixing methods with their defaults', run: async () => (await import('./methods.js')).methodsCommand },
  report: { summary: "write a run's report.html, or compare runs side by side (--compare)", run: async () => (await import('./report.js')).reportCommand },
  doctor: {
    summary: 'what this machine gives torchmix (LibTorch, CUDA, datasets, Python) and how to fix what is missing',
    run: async () => (await import('./doctor.js')).doctorCommand,
  },
  sweep: {
    summary: 'run a grid of train runs (+ attacks) from a YAML/JSON spec, resumably; writes summary.md and sweep.html',
    run: async () => (await import('./sweep.js')).sweepCommand,
  },
};

export const HELP = `Usage: torchmix <command> [flags]

Train neural networks with the mixup family at native LibTorch speed.

Commands:
${Object.entries(COMMANDS)
  .map(([n, c]) => `  ${n.padEnd(10)}${c.summary}`)
  .join('\n')}

'torchmix <command> --help' shows a command's flags.

  -h, --help     this help
  --version      the version
`;

/** Runs the CLI; returns the exit code (never calls process.exit). */
export async function main(argv: string[], io: IO = processIO): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      if (cmd === 'help' && rest[0] && rest[0] in COMMANDS) return await (await COMMANDS[rest[0]].run())(['--help'], io);
      io.out(HELP);
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === '--version' || cmd === '-v') {
      const { createRequire } = await import('node:module');
      let version = '?';
      for (const p of ['../../package.json', '../../../package.json']) {
        try {
          version = (createRequire(import.meta.url)(p) as { version: string }).version;
          break;
        } catch {
          /* next */
        }
      }
      io.out(`torchmix ${version}\n`);
      return 0;
    }
    const c = Object.prototype.hasOwnProperty.call(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
    if (!c) {
      const what = cmd.startsWith('-') ? 'flag' : 'command';
      throw new UsageError(
        `unknown ${what} '${cmd}'${didYouMean(cmd.replace(/^-+/, ''), Object.keys(COMMANDS))}; commands: ${Object.keys(COMMANDS).join(', ')} (see 'torchmix --help')`,
      );
    }
    return await (
      await c.run()
    )(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`torchmix${cmd && cmd in COMMANDS ? ' ' + cmd : ''}: error: ${e.message}\n`);
      return 2;
    }
    const err = e as Error;
    io.err(`torchmix${cmd && cmd in COMMANDS ? ' ' + cmd : ''}: ${err?.name && err.name !== 'Error' ? err.name + ': ' : ''}${err?.message ?? String(e)}\n`);
    if (process.env.TORCHMIX_DEBUG) io.err(`${err?.stack ?? ''}\n`);
    return 1;
  }
}

/** Entry point for launchers: runs main on process.argv and sets the exit code. */
export async function cli(argv = process.argv.slice(2)): Promise<void> {
  process.exitCode = await main(argv);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await cli();
