/** Where the command's output goes when it runs as a program: the process's stdout and stderr. */
export interface ProcessOutput {
  out(line: string): void
  err(line: string): void
  /** Resolves when a reader has gone away (`easel … | head`): a long-running command should stop. */
  readonly closed: Promise<void>
}

let installed: ProcessOutput | undefined

/**
 * The process's stdout and stderr, for `easel` run as a program. A reader that goes away is not an
 * error: as SIGPIPE does for other commands, the rest of the output is dropped without a word and
 * the command finishes (a write it was making still commits, the database still closes), exiting
 * with its own status. Without this, Node reports the EPIPE of `easel users list | head` as an
 * unhandled 'error' event, with a stack trace. Installed once per process.
 */
export function processOutput(): ProcessOutput {
  if (installed) return installed
  let markClosed!: () => void
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve
  })
  // Per stream: `easel … | head` closes stdout while stderr may still reach the terminal.
  const gone = new Set<NodeJS.WriteStream>()
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      // Once the pipe is gone, later writes fail too (EPIPE again, or a destroyed stream): quiet.
      if (error.code !== 'EPIPE' && !gone.has(stream)) throw error
      gone.add(stream)
      if (stream === process.stdout) markClosed()
    })
  }
  const write = (stream: NodeJS.WriteStream, line: string) => {
    if (!gone.has(stream) && !stream.destroyed) stream.write(`${line}\n`)
  }
  installed = {
    out: (line) => write(process.stdout, line),
    err: (line) => write(process.stderr, line),
    closed,
  }
  return installed
}
