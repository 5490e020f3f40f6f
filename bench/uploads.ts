import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { bombPng, solidPng } from '../test/support/hostile-images.ts'
import { spawnEasel } from '../test/support/spawn-easel.ts'
import { benchApiKey, benchDatabase } from './support.ts'

export interface UploadsOptions {
  /** Uploads sent at once. */
  clients: number
  /** Uploads in all; one in five is a decompression bomb, the rest two solid 4096×4096 PNGs. */
  uploads: number
}

const BOUNDARY = 'easel-bench-uploads'

function form(files: Array<{ name: string; bytes: Buffer }>): Buffer {
  return Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na balloon\r\n`),
    ...files.flatMap((f) => [
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${f.name}"; filename="${f.name}.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      f.bytes,
      Buffer.from('\r\n'),
    ]),
    Buffer.from(`--${BOUNDARY}--\r\n`),
  ])
}

/**
 * Whether hostile uploads stall the server: `/healthz` latency measured alone, then while
 * `clients` uploads at a time hit `POST /v1/images/edits` of a real Easel process (SQLite). Each
 * upload is either an image and a mask that are solid-colour 4096×4096 PNGs (72 KB each, exactly
 * the pixel budget: both are decoded before the opaque mask is refused, so it costs nothing), or a
 * 50 KB PNG declaring 20000×20000 (refused from its header). The event loop must keep answering:
 * target p99 under 100 ms.
 */
export async function benchUploads(o: UploadsOptions, print: (line: string) => void): Promise<void> {
  const solid = await solidPng(4096)
  const hostile = form([
    { name: 'image', bytes: solid },
    { name: 'mask', bytes: solid },
  ])
  const bomb = form([{ name: 'image', bytes: bombPng(20_000) }])

  const database = await benchDatabase('sqlite', 1)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-bench-up-'))
  if (database.config.kind !== 'sqlite') throw new Error('the uploads benchmark runs on SQLite')
  const env = {
    DATABASE_URL: `sqlite:${database.config.path}`,
    EASEL_DATA_DIR: dataDir,
    EASEL_LOG_LEVEL: 'warn',
    EASEL_RATE_LIMIT_PER_KEY: '10000000',
    EASEL_RATE_LIMIT_PER_IP: '10000000',
  }
  const apiKey = await benchApiKey(database.config)

  const server = await spawnEasel(env)
  try {
    const healthz = async () => {
      const t0 = performance.now()
      const res = await fetch(`${server.url}/healthz`)
      await res.arrayBuffer()
      if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`)
      return performance.now() - t0
    }
    for (let i = 0; i < 20; i++) await healthz()
    const baseline: number[] = []
    for (let i = 0; i < 200; i++) baseline.push(await healthz())

    let next = 0
    let refused = 0
    const unexpected: string[] = []
    const uploading = Promise.all(
      Array.from({ length: o.clients }, async () => {
        for (let i = next++; i < o.uploads; i = next++) {
          const res = await fetch(`${server.url}/v1/images/edits`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${apiKey}`,
              'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
            },
            body: i % 5 === 4 ? bomb : hostile,
          })
          const text = await res.text()
          if (res.status === 400) refused++
          else unexpected.push(`${res.status} ${text.slice(0, 200)}`)
        }
      }),
    )
    let done = false
    const t0 = performance.now()
    const during: number[] = []
    const probing = (async () => {
      while (!done) during.push(await healthz())
    })()
    await uploading
    const seconds = (performance.now() - t0) / 1000
    done = true
    await probing
    if (unexpected.length > 0) throw new Error(`uploads answered other than 400: ${unexpected[0]}`)

    const pct = (xs: number[], p: number) => {
      const sorted = [...xs].sort((a, b) => a - b)
      return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0
    }
    const f = (n: number) => n.toFixed(1)
    const p99 = pct(during, 0.99)
    print(
      `bench uploads healthz_p99_ms=${f(p99)} healthz_p50_ms=${f(pct(during, 0.5))} healthz_max_ms=${f(Math.max(...during))} ` +
        `baseline_p99_ms=${f(pct(baseline, 0.99))} baseline_p50_ms=${f(pct(baseline, 0.5))} probes=${during.length} ` +
        `uploads=${o.uploads} clients=${o.clients} refused=${refused} uploads_per_s=${f(o.uploads / seconds)} ` +
        `target_p99_ms=100 ratio=${(p99 / 100).toFixed(2)}`,
    )
  } finally {
    await server.stop()
    await database.drop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}
