// Memory formats (PyTorch's torch.contiguous_format, channels_last, channels_last_3d,
// preserve_format) by camelCase name. Native calls take c10::MemoryFormat's own codes, which are
// the same in LibTorch 1.13 and 2.x.
import { TorchTypeError, TorchValueError } from './errors.js';

export type MemoryFormat = 'contiguousFormat' | 'channelsLast' | 'channelsLast3d' | 'preserveFormat';

const CODES: Readonly<Record<MemoryFormat, number>> = { contiguousFormat: 0, preserveFormat: 1, channelsLast: 2, channelsLast3d: 3 };
const NAMES = Object.keys(CODES) as MemoryFormat[];
/** The rank each channels-last layout needs (N, C, H, W) / (N, C, D, H, W). */
const RANK: Partial<Record<MemoryFormat, number>> = { channelsLast: 4, channelsLast3d: 5 };

export const memoryFormats: readonly MemoryFormat[] = NAMES;

export function memoryFormatName(code: number): MemoryFormat {
  const name = NAMES.find((n) => CODES[n] === code);
  if (name === undefined) throw new TorchTypeError(`unknown c10::MemoryFormat ${code}`);
  return name;
}

/** The rank a format needs (channelsLast 4, channelsLast3d 5), or undefined when any rank will do. */
export function memoryFormatRank(fmt: MemoryFormat): number | undefined {
  return RANK[fmt];
}

/**
 * Validates a memoryFormat option and returns its native code. `allowed` lists the formats this
 * call accepts (contiguous() and isContiguous() have no 'preserveFormat', as in PyTorch); with
 * `ndim`, a channels-last format on a tensor of the wrong rank is an error that says what to use.
 */
export function memoryFormatCode(fmt: unknown, what: string, opts: { ndim?: number; allowed?: readonly MemoryFormat[] } = {}): number {
  const allowed = opts.allowed ?? NAMES;
  if (typeof fmt !== 'string' || !(allowed as readonly string[]).includes(fmt)) {
    const hint =
      typeof fmt === 'string' && /channels_?last/i.test(fmt) && fmt !== 'channelsLast' && fmt !== 'channelsLast3d' ? " (camelCase: 'channelsLast')" : '';
    throw new TorchValueError(
      `${what}: memoryFormat must be one of ${allowed.map((n) => `'${n}'`).join(', ')}, got ${JSON.stringify(fmt) ?? 'undefined'}${hint}`,
    );
  }
  const f = fmt as MemoryFormat;
  const rank = RANK[f];
  if (rank !== undefined && opts.ndim !== undefined && opts.ndim !== rank) {
    const use =
      rank === 4
        ? opts.ndim === 5
          ? "use 'channelsLast3d' for a 5-D tensor"
          : 'it applies to 4-D (N, C, H, W) tensors only: add a batch dimension with unsqueeze(0) or leave this tensor contiguous'
        : opts.ndim === 4
          ? "use 'channelsLast' for a 4-D tensor"
          : 'it applies to 5-D (N, C, D, H, W) tensors only';
    throw new TorchValueError(`${what}: memoryFormat '${f}' needs a ${rank}-D tensor, got a ${opts.ndim}-D tensor; ${use}`);
  }
  return CODES[f];
}
