import type { TokenCredential } from '@azure/core-auth';

/** What a command writes to and reads from; `nodeIo()` in main.ts, captured strings in tests. */
export interface Output {
  write(text: string): void;
  readonly isTTY: boolean;
  /** The real stream when there is one (a progress bar redraws it in place). */
  readonly stream?: NodeJS.WritableStream;
}

export interface Io {
  readonly stdout: Output;
  readonly stderr: Output;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Gets the tokens for `--audience`; DefaultAzureCredential when absent (tests give their own). */
  readonly credential?: TokenCredential;
}

export function nodeIo(): Io {
  const out = (stream: NodeJS.WriteStream): Output => ({
    write: (text) => {
      stream.write(text);
    },
    isTTY: stream.isTTY,
    stream,
  });
  return { stdout: out(process.stdout), stderr: out(process.stderr), env: process.env, cwd: process.cwd() };
}
