import type { Config } from '../config.ts'
import type { Clock } from '../util/clock.ts'

/** What a command may touch: its output streams, configuration and clock (tests pass their own). */
export interface CliContext {
  readonly config: Config
  readonly clock: Clock
  out(line: string): void
  err(line: string): void
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM), for long-running commands. */
  readonly stopSignal: Promise<void>
}

/** Wrong or missing arguments: printed with the command's usage, exit status 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The help text of the command, shown after the message. */
    readonly usage?: string,
  ) {
    super(message)
    this.name = 'UsageError'
  }
}

export const EXIT = { ok: 0, refused: 1, usage: 2 } as const
