import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { setImmediate as tick } from 'node:timers/promises'
import { PNG } from 'pngjs'
import { type WebSocket, WebSocketServer } from 'ws'
import type { RgbaImage } from '../../src/images/png.ts'
import { evaluate, executionOrder, type Prompt, reason, validatePrompt } from './fake-comfyui-nodes.ts'

/**
 * A local server that speaks ComfyUI's API as its `server.py` and `execution.py` define it:
 * `POST /upload/image` (multipart), `POST /prompt {prompt, client_id, prompt_id}` (validated as
 * ComfyUI validates it: 400 with `node_errors`), one prompt running at a time from a queue, events on
 * `/ws?clientId=` to the client that queued the prompt (`execution_start`, `executing`, `progress`,
 * `executed`, `execution_success`, `execution_error`, `execution_interrupted`, then `executing`
 * with `node: null`), `GET /history/{id}`, `GET /view`, `GET|POST /queue` (`delete`),
 * `POST /interrupt {prompt_id}` (only that prompt, if it is the one running; without an id, any),
 * `GET /system_stats`. Outputs are PNGs drawn from the workflow (see fake-comfyui-nodes.ts).
 */

export type FakeComfyFailure =
  /** The sampler fails while running (CUDA out of memory). */
  | 'execution_error'
  /** Every websocket of the prompt's client is closed after its first step; the run goes on. */
  | 'drop_ws'
  /** Someone stops the prompt on the server after its first step. */
  | 'interrupted'
  /** `/system_stats` answers 500. */
  | 'unhealthy'
  /** `POST /prompt` refuses every workflow with node_errors. */
  | 'node_errors'

export interface FakePrompt {
  readonly id: string
  readonly clientId: string | null
  readonly prompt: Prompt
  status: 'pending' | 'running' | 'success' | 'error' | 'interrupted' | 'deleted'
}

export interface FakeComfyUi {
  url: string
  failure: FakeComfyFailure | null
  /** Refuse websocket upgrades (a proxy that does not pass them). */
  websocket: boolean
  checkpoints: string[]
  /** Every prompt accepted, in order. */
  prompts: FakePrompt[]
  /** Uploaded files by the name LoadImage takes. */
  uploads: Map<string, Buffer>
  /** Ids sent to `POST /queue {delete}`, and to `POST /interrupt` (null: without an id). */
  deletes: string[]
  interrupts: (string | null)[]
  /** Every request, as `METHOD /path`. */
  requests: string[]
  /** Runs pause after their first step until `release()` (a slow backend). */
  hold(): void
  /** Runs pause before their first step (nothing reported yet) until `release()` or `resumeSteps()`. */
  pauseSteps(): void
  resumeSteps(): void
  release(): void
  /** Resolves once `count` prompts have been accepted / have started running / have ended. */
  queued(count: number): Promise<void>
  started(count: number): Promise<void>
  ended(count: number): Promise<void>
  /** Resolves with the prompt once it has ended (succeeded, failed, interrupted or deleted). */
  settled(id: string): Promise<FakePrompt>
  close(): Promise<void>
}

interface Gate {
  promise: Promise<void>
  open(): void
}

function gate(): Gate {
  let open!: () => void
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

export async function startFakeComfyUi(
  options: { auth?: { username: string; password: string } } = {},
): Promise<FakeComfyUi> {
  const sockets = new Map<string, Set<WebSocket>>()
  const history = new Map<string, Record<string, unknown>>()
  const outputs = new Map<string, Buffer>()
  const pending: FakePrompt[] = []
  const interruptsOf = new Map<string, () => void>()
  const waiters: { check: () => boolean; resolve: () => void }[] = []
  let running: FakePrompt | null = null
  let held: Gate | null = null
  let paused: Gate | null = null
  let counter = 0
  let number = 0

  const until = (check: () => boolean) =>
    check() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ check, resolve }))
  const notify = () => {
    for (const waiter of waiters.splice(0)) {
      if (waiter.check()) waiter.resolve()
      else waiters.push(waiter)
    }
  }
  const countWhere = (ok: (p: FakePrompt) => boolean) => fake.prompts.filter(ok).length
  const fake: FakeComfyUi = {
    url: '',
    failure: null,
    websocket: true,
    checkpoints: ['sd_xl_base_1.0.safetensors', 'v1-5-pruned-emaonly.safetensors'],
    prompts: [],
    uploads: new Map(),
    deletes: [],
    interrupts: [],
    requests: [],
    hold: () => {
      held ??= gate()
    },
    pauseSteps: () => {
      paused ??= gate()
    },
    resumeSteps: () => {
      paused?.open()
      paused = null
    },
    release: () => {
      fake.resumeSteps()
      held?.open()
      held = null
    },
    queued: (count) => until(() => fake.prompts.length >= count),
    started: (count) =>
      until(() => countWhere((p) => p.status !== 'pending' && p.status !== 'deleted') >= count),
    ended: (count) => until(() => countWhere((p) => !['pending', 'running'].includes(p.status)) >= count),
    settled: async (id) => {
      const over = () => fake.prompts.find((p) => p.id === id && !['pending', 'running'].includes(p.status))
      await until(() => over() !== undefined)
      return over()!
    },
    close: async () => {},
  }

  const send = (clientId: string | null, type: string, data: Record<string, unknown>) => {
    for (const socket of sockets.get(clientId ?? '') ?? []) socket.send(JSON.stringify({ type, data }))
  }
  const queueInfo = () => ({ exec_info: { queue_remaining: pending.length + (running ? 1 : 0) } })
  const queueItem = (p: FakePrompt) => [number, p.id, p.prompt, { client_id: p.clientId }, []]

  const pump = () => {
    if (running || pending.length === 0) return
    const next = pending.shift()!
    running = next
    next.status = 'running'
    notify()
    void execute(next).finally(() => {
      running = null
      notify()
      pump()
    })
  }

  /** Runs a prompt as ComfyUI's prompt worker does, one node after another. */
  async function execute(p: FakePrompt): Promise<void> {
    const messages: [string, Record<string, unknown>][] = []
    const emit = (type: string, data: Record<string, unknown>, record = true) => {
      const full = { ...data, prompt_id: p.id }
      if (record) messages.push([type, { ...full, timestamp: Date.now() }])
      send(p.clientId, type, full)
    }
    const interrupt = gate()
    let interrupted = false
    const stop = () => {
      interrupted = true
      interrupt.open()
    }
    interruptsOf.set(p.id, stop)
    emit('execution_start', {})
    emit('execution_cached', { nodes: [] })
    const executed: string[] = []
    const finish = (status: FakePrompt['status'], extra: Record<string, unknown>) => {
      p.status = status
      history.set(p.id, {
        prompt: queueItem(p),
        outputs: extra,
        status: {
          status_str: status === 'success' ? 'success' : 'error',
          completed: status === 'success',
          messages,
        },
        meta: {},
      })
      interruptsOf.delete(p.id)
      emit('executing', { node: null }, false)
    }
    for (const id of executionOrder(p.prompt)) {
      const node = p.prompt[id]!
      emit('executing', { node: id, display_node: id }, false)
      if (node.class_type === 'KSampler') {
        const steps = node.inputs.steps as number
        if (paused) await Promise.race([paused.promise, interrupt.promise])
        if (interrupted) {
          emit('execution_interrupted', { node_id: id, node_type: node.class_type, executed })
          return finish('interrupted', {})
        }
        for (let step = 1; step <= steps; step++) {
          emit('progress', { value: step, max: steps, node: id }, false)
          await tick()
          if (step === 1) {
            if (fake.failure === 'drop_ws')
              for (const socket of sockets.get(p.clientId ?? '') ?? []) socket.terminate()
            if (fake.failure === 'interrupted') stop()
            if (held) await Promise.race([held.promise, interrupt.promise])
          }
          if (interrupted) {
            emit('execution_interrupted', { node_id: id, node_type: node.class_type, executed })
            return finish('interrupted', {})
          }
          if (fake.failure === 'execution_error') {
            emit('execution_error', {
              node_id: id,
              node_type: node.class_type,
              executed,
              exception_message: 'CUDA out of memory. Tried to allocate 2.00 GiB',
              exception_type: 'torch.OutOfMemoryError',
              traceback: ['  File "execution.py", line 1, in execute\n'],
              current_inputs: {},
              current_outputs: {},
            })
            return finish('error', {})
          }
        }
      }
      executed.push(id)
    }
    const images = evaluate(p.prompt, fake.uploads)
    const saved: Record<string, unknown> = {}
    for (const [id, list] of images) {
      const type = p.prompt[id]!.class_type === 'SaveImage' ? 'output' : 'temp'
      const prefix = (p.prompt[id]!.inputs.filename_prefix as string | undefined) ?? 'ComfyUI_temp'
      const refs = list.map((image) => {
        const filename = `${prefix}_${String(++counter).padStart(5, '0')}_.png`
        outputs.set(`${type}/${filename}`, fastPng(image))
        return { filename, subfolder: '', type }
      })
      saved[id] = { images: refs }
      emit('executed', { node: id, display_node: id, output: { images: refs } }, false)
    }
    emit('execution_success', {})
    finish('success', saved)
  }

  const expectedAuth = options.auth
    ? `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`
    : null

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const path = url.pathname
    fake.requests.push(`${req.method} ${path}`)
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    if (expectedAuth && req.headers.authorization !== expectedAuth)
      return reply(res, 401, '401: Unauthorized')
    const json = () => JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>
    try {
      if (req.method === 'GET' && path === '/system_stats') {
        if (fake.failure === 'unhealthy') return reply(res, 500, '500 Internal Server Error')
        return reply(res, 200, {
          system: { os: 'posix', comfyui_version: '0.3.60', python_version: '3.12', argv: ['main.py'] },
          devices: [{ name: 'cpu', type: 'cpu', index: null, vram_total: 0, vram_free: 0 }],
        })
      }
      if (req.method === 'POST' && path === '/upload/image') {
        const form = await new Response(body, {
          headers: { 'content-type': req.headers['content-type'] ?? '' },
        }).formData()
        const image = form.get('image')
        if (!(image instanceof File) || !image.name) return reply(res, 400, '')
        let name = image.name
        if (form.get('overwrite') !== 'true') {
          for (let i = 1; fake.uploads.has(name); i++) name = image.name.replace(/(\.[^.]*)?$/, ` (${i})$1`)
        }
        fake.uploads.set(name, Buffer.from(await image.arrayBuffer()))
        return reply(res, 200, { name, subfolder: '', type: 'input' })
      }
      if (req.method === 'POST' && path === '/prompt') {
        const data = json()
        if (!('prompt' in data)) {
          return reply(res, 400, {
            error: reason('no_prompt', 'No prompt provided', 'No prompt provided'),
            node_errors: {},
          })
        }
        const refused =
          fake.failure === 'node_errors'
            ? forcedRefusal(data.prompt as Prompt)
            : validatePrompt(data.prompt, { checkpoints: fake.checkpoints, files: fake.uploads })
        if (refused) return reply(res, 400, refused)
        const id = typeof data.prompt_id === 'string' ? data.prompt_id : randomUUID()
        const p: FakePrompt = {
          id,
          clientId: typeof data.client_id === 'string' ? data.client_id : null,
          prompt: data.prompt as Prompt,
          status: 'pending',
        }
        fake.prompts.push(p)
        pending.push(p)
        notify()
        pump()
        return reply(res, 200, { prompt_id: id, number: number++, node_errors: {} })
      }
      if (req.method === 'GET' && path.startsWith('/history/')) {
        const id = decodeURIComponent(path.slice('/history/'.length))
        const entry = history.get(id)
        return reply(res, 200, entry ? { [id]: entry } : {})
      }
      if (req.method === 'GET' && path === '/queue') {
        return reply(res, 200, {
          queue_running: running ? [queueItem(running)] : [],
          queue_pending: pending.map(queueItem),
        })
      }
      if (req.method === 'POST' && path === '/queue') {
        const data = json()
        for (const id of Array.isArray(data.delete) ? data.delete : []) {
          fake.deletes.push(id)
          const at = pending.findIndex((p) => p.id === id)
          if (at >= 0) pending.splice(at, 1)[0]!.status = 'deleted'
        }
        notify()
        return reply(res, 200, '')
      }
      if (req.method === 'POST' && path === '/interrupt') {
        const id = typeof json().prompt_id === 'string' ? (json().prompt_id as string) : null
        fake.interrupts.push(id)
        if (running && (id === null || id === running.id)) interruptsOf.get(running.id)?.()
        return reply(res, 200, '')
      }
      if (req.method === 'GET' && path === '/view') {
        const file = outputs.get(
          `${url.searchParams.get('type') ?? 'output'}/${url.searchParams.get('filename')}`,
        )
        if (!file) return reply(res, 404, '')
        res.writeHead(200, { 'content-type': 'image/png' }).end(file)
        return
      }
      if (req.method === 'GET' && path === '/prompt') return reply(res, 200, queueInfo())
      return reply(res, 404, '404: Not Found')
    } catch (error) {
      return reply(res, 500, String(error))
    }
  })

  const wss = new WebSocketServer({ noServer: true })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const refuse = (status: number) => {
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-length: 0\r\n\r\n`)
    }
    if (url.pathname !== '/ws' || !fake.websocket) return refuse(404)
    if (expectedAuth && req.headers.authorization !== expectedAuth) return refuse(401)
    wss.handleUpgrade(req, socket, head, (ws) => {
      // Reusing a client id replaces its socket, as ComfyUI does.
      const sid = url.searchParams.get('clientId') || randomUUID().replaceAll('-', '')
      const set = sockets.get(sid) ?? new Set()
      sockets.set(sid, set)
      set.add(ws)
      ws.on('close', () => set.delete(ws))
      ws.send(JSON.stringify({ type: 'status', data: { status: queueInfo(), sid } }))
    })
  })

  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  fake.close = async () => {
    fake.release()
    for (const set of sockets.values()) for (const ws of set) ws.terminate()
    wss.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return fake
}

/** The `node_errors` failure: the sampler refused whatever the workflow holds. */
function forcedRefusal(prompt: Prompt) {
  const id = Object.keys(prompt ?? {}).find((key) => prompt[key]?.class_type === 'KSampler') ?? '3'
  const why = reason('value_not_in_list', 'Value not in list', "sampler_name: 'euler' not in ['dpmpp_2m']")
  return {
    error: reason(
      'prompt_outputs_failed_validation',
      'Prompt outputs failed validation',
      `${why.message}: ${why.details}`,
    ),
    node_errors: { [id]: { errors: [why], dependent_outputs: ['9'], class_type: 'KSampler' } },
  }
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  if (typeof body === 'string') {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body)
  } else {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  }
}

/**
 * A PNG as ComfyUI's SaveImage writes one, made quickly: the fake's pictures are bands of flat
 * colour, which the "up" filter and the lowest deflate level keep small and cheap, so that the
 * benchmark measures Easel rather than the fake's encoder.
 */
function fastPng(image: RgbaImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height, colorType: 6, inputHasAlpha: true })
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength)
  return PNG.sync.write(png, { deflateLevel: 1, filterType: 2 })
}
