import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sizeName } from '../src/contracts/index.ts'
import type { EngineRequest } from '../src/engines/engine.ts'
import { SketchEngine } from '../src/engines/sketch/engine.ts'
import { spawnEasel } from '../test/support/spawn-easel.ts'
import { type Backend, benchApiKey, benchDatabase, drive } from './support.ts'

export interface GatewayOptions {
  clients: number
  seconds: number
  size: 256 | 512 | 1024
}

/** The generation both sides make: the book's 4 images of `size`, a new seed each time. */
export function generation(size: GatewayOptions['size'], model: string, seed: number): EngineRequest {
  return {
    operation: 'generate',
    prompt: 'a red sunset over the ocean',
    n: 4,
    size: sizeName(size),
    width: size,
    height: size,
    quality: 'standard',
    seed,
    model,
  }
}

/**
 * The gateway's own cost: the same generations (sketch engine, `size`, the book's 4 images) made
 * by calling the engine directly and through `POST /v1/images/generations` of a real Easel process
 * (HTTP, auth, quote, hold, queue, image files, capture), both at `clients` concurrent callers.
 * Added latency is the difference of the percentiles; throughput is compared as a ratio.
 */
export async function benchGateway(
  backend: Backend,
  o: GatewayOptions,
  print: (line: string) => void,
): Promise<void> {
  const engine = new SketchEngine()
  const signal = new AbortController().signal
  let seed = 0
  try {
    await compareWithGateway(
      {
        name: 'gateway',
        backend,
        options: o,
        // Two jobs at a time (the default): one renders while the other waits on its commit or files.
        env: { EASEL_ENGINE_CONCURRENCY: '2' },
        body: {},
        direct: async () => {
          await engine.run(generation(o.size, 'sketch', seed++), { signal })
        },
      },
      print,
    )
  } finally {
    await engine.close()
  }
}

export interface GatewayCase {
  /** The benchmark's name in its lines: `bench <name> <backend> …`. */
  name: string
  backend: Backend
  options: GatewayOptions
  /** The engine's own settings for the Easel process, beside the benchmark's. */
  env: Record<string, string>
  /** Fields of the `/v1/images/generations` body beside prompt and size (`model`). */
  body: Record<string, string>
  /** One generation made by calling the engine itself. */
  direct(): Promise<void>
}

/**
 * Times `direct` and the same generation through a real Easel process (`easel start`, sharing
 * nothing with this one but the engine's upstream), loaded (`clients` callers) and unloaded (one),
 * and prints the two and their differences. Each side is warmed up before it is measured.
 */
export async function compareWithGateway(c: GatewayCase, print: (line: string) => void): Promise<void> {
  const o = c.options
  const timed = async () => {
    const t0 = performance.now()
    await c.direct()
    return performance.now() - t0
  }
  // Warm up the engine (JIT, connections) before measuring either side.
  for (let i = 0; i < 5; i++) await c.direct()
  const direct = await drive(o.clients, o.seconds, timed)

  const database = await benchDatabase(c.backend, 8)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-bench-gw-'))
  const url = database.config.kind === 'sqlite' ? `sqlite:${database.config.path}` : database.config.url
  const env = {
    DATABASE_URL: url,
    EASEL_DATA_DIR: dataDir,
    EASEL_LOG_LEVEL: 'warn',
    EASEL_RATE_LIMIT_PER_KEY: '10000000',
    EASEL_RATE_LIMIT_PER_IP: '10000000',
    EASEL_QUEUE_LIMIT: '10000',
    // All clients share one account: its cap on jobs in flight must not be what is measured.
    EASEL_MAX_JOBS_PER_ACCOUNT: '10000',
    ...c.env,
  }
  const apiKey = await benchApiKey(database.config, 10_000_000)

  const server = await spawnEasel(env)
  try {
    const generate = async () => {
      const t0 = performance.now()
      const res = await fetch(`${server.url}/v1/images/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          prompt: 'a red sunset over the ocean',
          size: `${o.size}x${o.size}`,
          ...c.body,
        }),
      })
      await res.arrayBuffer()
      if (res.status !== 200) throw new Error(`gateway answered ${res.status}`)
      return performance.now() - t0
    }
    for (let i = 0; i < 5; i++) await generate()
    const gateway = await drive(o.clients, o.seconds, generate)
    const f = (n: number) => n.toFixed(1)
    const head = `bench ${c.name} ${c.backend}`
    print(
      `${head} direct size=${o.size} clients=${o.clients} generations_per_s=${f(direct.opsPerSecond)} p50_ms=${f(direct.p50)} p99_ms=${f(direct.p99)}`,
    )
    print(
      `${head} http size=${o.size} clients=${o.clients} generations_per_s=${f(gateway.opsPerSecond)} p50_ms=${f(gateway.p50)} p99_ms=${f(gateway.p99)} ` +
        `added_p50_ms=${f(gateway.p50 - direct.p50)} added_p99_ms=${f(gateway.p99 - direct.p99)} ` +
        `throughput_ratio=${(gateway.opsPerSecond / direct.opsPerSecond).toFixed(2)} targets: added_p50<=5 added_p99<=25`,
    )
    // Per request, unloaded: one client at a time shows the gateway's cost without queueing.
    const directOne = await drive(1, Math.max(2, o.seconds / 2), timed)
    const gatewayOne = await drive(1, Math.max(2, o.seconds / 2), generate)
    print(
      `${head} unloaded size=${o.size} direct_p50_ms=${f(directOne.p50)} http_p50_ms=${f(gatewayOne.p50)} ` +
        `added_p50_ms=${f(gatewayOne.p50 - directOne.p50)} added_p99_ms=${f(gatewayOne.p99 - directOne.p99)}`,
    )
  } finally {
    await server.stop()
    await database.drop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}
