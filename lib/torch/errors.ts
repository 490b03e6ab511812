// The JS side of the one native guard: every c10 error arrives as one of these classes.
export class TorchError extends Error {
  constructor(message: string) {
    super(message);
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
export const errorClasses = [
  TorchError,
  TorchIndexError,
  TorchTypeError,
  TorchValueError,
  TorchOutOfMemoryError,
  TorchNotImplementedError,
];
