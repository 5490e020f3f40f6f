import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import readline from 'node:readline'

const BIN = path.resolve(import.meta.dirname, '../../bin/easel.js')

export interface EaselProcess {
  readonly url: string
  readonly child: ChildProcess
  /** Lines the process printed so far (stdout and stderr). */
  readonly output: string[]
  /** SIGTERM, then wait for it to exit: a graceful stop. Resolves to the exit code. */
  stop(): Promise<number | null>
  /** SIGKILL: a crash. */
  kill(): Promise<void>
}

/** Runs `easel start` as a real process with `env` and waits until it listens. */
export function spawnEasel(env: Record<string, string>): Promise<EaselProcess> {
  const child = spawn(process.execPath, [BIN, 'start'], {
    env: { ...process.env, ...env, PORT: env.PORT ?? '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        output.push(line)
        const m = /^easel: listening on (http:\/\/\S+)/.exec(line)
        if (m) {
          resolve({
            url: m[1]!,
            child,
            output,
            async stop() {
              child.kill('SIGTERM')
              return exited
            },
            async kill() {
              child.kill('SIGKILL')
              await exited
            },
          })
        }
      })
    }
    exited.then((code) =>
      reject(new Error(`easel start exited with ${code} before listening:\n${output.join('\n')}`)),
    )
  })
}
