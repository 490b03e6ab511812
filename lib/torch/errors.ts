// The JS side of the one native guard: every c10 error arrives as one of these classes.

/** Appended to LibTorch's complaints about an int64 (Long) or non-floating tensor. */
export const INT64_HINT = "(JS integers infer int64: pass { dtype: 'float32' } to torch.tensor, or write .float())";
// LibTorch's wording for an integer tensor where floats are needed, on 1.13 and 2.x: "… for 'Long'",
// "Got: Long", "long int != float", "expected scalar type Float but found Long", "output type Long",
// "Only Tensors of floating point … can require gradients", "std and var only support floating point".
const INT_DTYPE_COMPLAINT = /\bLong\b|\blong int\b|Only Tensors of floating point|only supports? floating point/;

/** @internal message, with INT64_HINT appended when it is LibTorch complaining about an integer dtype. */
export function withDtypeHint(message: string): string {
  return typeof message === 'string' && INT_DTYPE_COMPLAINT.test(message) && !message.includes(INT64_HINT) ? `${message} ${INT64_HINT}` : message;
}

export class TorchError extends Error {
  constructor(message: string) {
    // Every native error is built here (native/errors.cc calls these constructors), so every op
    // gets the hint: `torch.tensor([1, 2])` is int64, and JS cannot write PyTorch's `[1., 2.]`.
    super(withDtypeHint(message));
    this.name = new.target.name;
  }
}
/** Index out of range (c10::IndexError). */
export class TorchIndexError extends TorchError {}
/** Wrong dtype or argument type (c10::TypeError). */
export class TorchTypeError extends TorchError {}
/** Bad value: shapes, sizes, option values (c10::ValueError). */
export class TorchValueError extends TorchError {}
/** An allocation failed on the CPU or a device. */
export class TorchOutOfMemoryError extends TorchError {}
/** The op has no kernel for this dtype or device. */
export class TorchNotImplementedError extends TorchError {}

// Order matches tmx::ErrorKind in native/errors.h.
export const errorClasses = [TorchError, TorchIndexError, TorchTypeError, TorchValueError, TorchOutOfMemoryError, TorchNotImplementedError];
