// Where commands write: stdout (results) and stderr (progress, diagnostics); replaceable in tests.
export interface IO {
  out(text: string): void;
  err(text: string): void;
}
export const processIO: IO = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};
