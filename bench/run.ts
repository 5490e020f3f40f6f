// `npm run bench`: every figure is a ratio measured in this run, on this machine.
// `npm run bench -- engine` (or `-- gateway`, `-- gateway-comfyui`, `-- uploads`, `-- ledger`, `-- reads`) runs only that benchmark.
// Environment: BENCH_BACKENDS=sqlite,postgres  BENCH_SECONDS=5  BENCH_SEED_LOTS=1000000
//              BENCH_ACCOUNTS=10000  BENCH_CALLERS=64  BENCH_POOL_SIZE=8  BENCH_READS=2000
import { benchEngine } from './engine.ts'
import { benchGateway } from './gateway.ts'
import { benchGatewayComfyUi } from './gateway-comfyui.ts'
import { benchLedger } from './ledger.ts'
import { benchReads } from './reads.ts'
import { type Backend, postgresReachable } from './support.ts'
import { benchUploads } from './uploads.ts'

const env = process.env
const num = (name: string, fallback: number) => {
  const v = env[name]
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number`)
  return n
}

const only = process.argv[2]
if (only === undefined || only === 'engine')
  await benchEngine({ seconds: num('BENCH_SECONDS', 5) }, console.log)

// The gateway's own cost over the sketch engine, on the embedded default database.
if (only === undefined || only === 'gateway')
  await benchGateway('sqlite', { clients: 50, seconds: num('BENCH_SECONDS', 5), size: 256 }, console.log)

// The same against a local fake ComfyUI (upload, /prompt, websocket, /history, /view): what Easel adds.
if (only === undefined || only === 'gateway-comfyui')
  await benchGatewayComfyUi(
    'sqlite',
    { clients: 50, seconds: num('BENCH_SECONDS', 5), size: 256 },
    console.log,
  )

// Hostile uploads (4096×4096 PNGs, decompression bombs) must not stall the event loop.
if (only === undefined || only === 'uploads')
  await benchUploads({ clients: 20, uploads: num('BENCH_UPLOADS', 40) }, console.log)

const ledger = only === undefined || only === 'ledger'
const reads = only === undefined || only === 'reads'
const wanted = (ledger || reads ? (env.BENCH_BACKENDS ?? 'sqlite,postgres').split(',') : []).map((s) =>
  s.trim(),
) as Backend[]
const backends: Backend[] = []
for (const b of wanted) {
  if (b === 'postgres' && !(await postgresReachable())) {
    for (const name of [...(reads ? ['reads'] : []), ...(ledger ? ['ledger'] : [])])
      console.log(`bench ${name} postgres skipped: no PostgreSQL server reachable`)
    continue
  }
  backends.push(b)
}

// Balance reads (each grants allowances in a write transaction first), alone and beside writes.
for (const backend of reads ? backends : []) {
  await benchReads(
    backend,
    { requests: num('BENCH_READS', 2000), clients: 16, users: 200, pages: 30, writers: 32 },
    console.log,
  )
}

for (const backend of ledger ? backends : []) {
  await benchLedger(
    backend,
    {
      callers: num('BENCH_CALLERS', 64),
      accounts: num('BENCH_ACCOUNTS', 10_000),
      seconds: num('BENCH_SECONDS', 5),
      seedLots: num('BENCH_SEED_LOTS', 1_000_000),
      poolSize: num('BENCH_POOL_SIZE', 8),
    },
    console.log,
  )
}
