import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { decodePng, encodePng, pngInfo } from '../../src/images/png.ts'
import { samplePng } from './fake-openai.ts'

/**
 * A local server that speaks the AUTOMATIC1111 / Forge WebUI API (`--api`): `POST
 * /sdapi/v1/txt2img` and `/sdapi/v1/img2img` answer `{images: [base64 PNG…], parameters, info}`
 * (`info` is a JSON string), `GET /sdapi/v1/sd-models` lists checkpoints. Errors are shaped as the
 * WebUI shapes them: FastAPI validation is 422 `{detail: [{loc, msg, type}]}`, everything else
 * `{error, detail, body, errors}` from its exception handler.
 *
 * Like the WebUI, it runs one job at a time (its `queue_lock`): a request that arrives while
 * another runs waits, and still runs when its client has gone. `GET /sdapi/v1/progress` tells the
 * running job's steps and `current_task` (the request's `force_task_id`, A1111 ≥ 1.9);
 * `POST /sdapi/v1/interrupt` stops whichever job runs, whoever asked for it. With `holdJobs`, a
 * job runs until the test finishes it (`finishJob`) or it is interrupted. Start several to stand
 * for several WebUIs (`startFakeSdWebUis`).
 */

export type FakeSdWebUiBehaviour = 'ok' | 'content_policy' | 'server_error' | 'bad_request' | 'hang' | 'empty'

export interface RecordedRequest {
  method: string
  path: string
  headers: http.IncomingHttpHeaders
  json: Record<string, unknown> | null
}

/** The job the fake is running, as its progress endpoint reports it. */
export interface FakeJob {
  /** The request's `force_task_id`, or one the fake made up (as the WebUI does). */
  readonly taskId: string
  readonly steps: number
  step: number
  interrupted: boolean
}

export interface FakeSdWebUi {
  url: string
  requests: RecordedRequest[]
  /** While true, every request fails with 503, as a proxy in front of a WebUI that is down. */
  down: boolean
  /** While true, each job runs until `finishJob()` or an interrupt (else it answers at once). */
  holdJobs: boolean
  /** False: a WebUI older than 1.9, whose progress has no `current_task`. */
  reportsCurrentTask: boolean
  /** The job running now, or null. */
  readonly running: FakeJob | null
  /** Jobs started so far (each job's task id), in order. */
  readonly started: string[]
  /** Task ids of the jobs `/sdapi/v1/interrupt` stopped. */
  readonly interrupted: string[]
  /** Resolves once at least `count` jobs have started running. */
  jobsStarted(count?: number): Promise<void>
  /** Resolves once at least `count` interrupts have arrived. */
  interrupts(count?: number): Promise<void>
  /** Lets the running held job answer. */
  finishJob(): void
  /**
   * `content_policy` answers like a WebUI with an NSFW-filter extension: 200 with black images
   * (the WebUI itself has no content policy and never refuses).
   */
  behaviour: FakeSdWebUiBehaviour
  /** Extra images appended after the ones asked for, as ControlNet appends its detected maps. */
  extraImages: number
  /** Answer with images of this side instead of the width/height asked for. */
  answerSize: number | null
  checkpoints: string[]
  /** Resolves once at least `count` requests have arrived. */
  received(count?: number): Promise<void>
  close(): Promise<void>
}

/** Fields the WebUI's pydantic models type as integers or numbers (a wrong type is a 422). */
const INTEGER_FIELDS = [
  'seed',
  'batch_size',
  'n_iter',
  'steps',
  'width',
  'height',
  'mask_blur',
  'inpainting_fill',
]
const NUMBER_FIELDS = ['cfg_scale', 'denoising_strength']

class WebUiError {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

/** What the WebUI's handler makes of an exception: `{error, detail, body, errors}`. */
function handlerError(status: number, error: string, detail: string, errors: string): WebUiError {
  return new WebUiError(status, { error, detail, body: '', errors })
}

export async function startFakeSdWebUi(
  options: { auth?: { username: string; password: string } } = {},
): Promise<FakeSdWebUi> {
  const waiters: { count: number; resolve: () => void }[] = []
  const counted = counter()
  let running: (FakeJob & { finish: () => void }) | null = null
  // One job at a time, as the WebUI's queue_lock.
  let lock: Promise<void> = Promise.resolve()
  const runJob = (body: Record<string, unknown>): Promise<FakeJob> => {
    const turn = lock.then(
      () =>
        new Promise<FakeJob>((resolve) => {
          const taskId =
            typeof body.force_task_id === 'string' ? body.force_task_id : `task(${started.length})`
          const job = {
            taskId,
            steps: body.steps as number,
            step: 0,
            interrupted: false,
            finish: () => {
              if (running === job) running = null
              if (!job.interrupted) job.step = job.steps
              resolve(job)
            },
          }
          running = job
          started.push(taskId)
          counted.set('started', started.length)
          if (!fake.holdJobs) job.finish()
        }),
    )
    lock = turn.then(() => undefined)
    return turn
  }
  const started: string[] = []
  const interrupted: string[] = []
  let interruptCount = 0
  const fake: FakeSdWebUi = {
    url: '',
    requests: [],
    down: false,
    holdJobs: false,
    reportsCurrentTask: true,
    get running() {
      return running
    },
    started,
    interrupted,
    jobsStarted: (count = 1) => counted.until('started', count),
    interrupts: (count = 1) => counted.until('interrupts', count),
    finishJob() {
      running?.finish()
    },
    behaviour: 'ok',
    extraImages: 0,
    answerSize: null,
    checkpoints: ['v1-5-pruned-emaonly', 'sd_xl_base_1.0'],
    received(count = 1) {
      if (fake.requests.length >= count) return Promise.resolve()
      return new Promise((resolve) => waiters.push({ count, resolve }))
    },
    close: async () => {},
  }
  const expectedAuth = options.auth
    ? `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`
    : null

  const server = http.createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const text = Buffer.concat(chunks).toString('utf8')
      let json: Record<string, unknown> | null = null
      if (text) {
        try {
          json = JSON.parse(text) as Record<string, unknown>
        } catch {
          throw new WebUiError(422, {
            detail: [
              {
                loc: ['body', 0],
                msg: 'Expecting value: line 1 column 1 (char 0)',
                type: 'value_error.jsondecode',
              },
            ],
          })
        }
      }
      fake.requests.push({ method: req.method ?? 'GET', path, headers: req.headers, json })
      for (const waiter of waiters.splice(0)) {
        if (fake.requests.length >= waiter.count) waiter.resolve()
        else waiters.push(waiter)
      }
      if (fake.down) {
        throw new WebUiError(503, '<html><body><h1>503 Service Unavailable</h1></body></html>')
      }
      if (expectedAuth && req.headers.authorization !== expectedAuth) {
        throw req.headers.authorization
          ? handlerError(
              401,
              'HTTPException',
              'Incorrect username or password',
              '401: Incorrect username or password',
            )
          : handlerError(401, 'HTTPException', 'Not authenticated', '401: Not authenticated')
      }
      if (req.method === 'GET' && path === '/sdapi/v1/sd-models') {
        return send(
          res,
          200,
          fake.checkpoints.map((name) => ({
            title: `${name}.safetensors [6ce0161689]`,
            model_name: name,
            hash: '6ce0161689',
            sha256: '6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa',
            filename: `/models/Stable-diffusion/${name}.safetensors`,
            config: null,
          })),
        )
      }
      if (req.method === 'GET' && path === '/sdapi/v1/progress') {
        return send(res, 200, progressAnswer(running, fake.reportsCurrentTask))
      }
      if (req.method === 'POST' && path === '/sdapi/v1/interrupt') {
        if (running) {
          running.interrupted = true
          interrupted.push(running.taskId)
          running.finish()
        }
        interruptCount += 1
        counted.set('interrupts', interruptCount)
        return send(res, 200, {})
      }
      if (req.method !== 'POST' || (path !== '/sdapi/v1/txt2img' && path !== '/sdapi/v1/img2img')) {
        return send(res, 404, { detail: 'Not Found' })
      }
      const body = validate(json ?? {}, path)
      // Waits its turn, then runs: a job whose client has gone runs all the same.
      await runJob(body)
      switch (fake.behaviour) {
        case 'hang':
          return // never answers; close() destroys the socket
        case 'server_error':
          throw handlerError(
            500,
            'OutOfMemoryError',
            '',
            'CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 8.00 GiB total capacity)',
          )
        case 'bad_request':
          throw new WebUiError(422, {
            detail: [
              {
                loc: ['body', 'steps'],
                msg: 'ensure this value is less than or equal to 150',
                type: 'value_error',
              },
            ],
          })
        case 'empty':
          return send(res, 200, { images: [], parameters: body, info: '{}' })
        case 'ok':
        case 'content_policy': {
          const width = fake.answerSize ?? (body.width as number)
          const height = fake.answerSize ?? (body.height as number)
          const count = (body.batch_size as number) * (body.n_iter as number)
          const images = Array.from({ length: count }, (_, index) =>
            fake.behaviour === 'content_policy' ? blackPng(width, height) : samplePng(width, height, index),
          )
          for (let i = 0; i < fake.extraImages; i++) images.push(samplePng(64, 64, 99))
          const seed = body.seed as number
          const info = {
            prompt: body.prompt,
            all_prompts: Array(count).fill(body.prompt),
            negative_prompt: body.negative_prompt ?? '',
            seed,
            all_seeds: Array.from({ length: count }, (_, i) => seed + i),
            width,
            height,
            sampler_name: body.sampler_name ?? 'Euler',
            cfg_scale: body.cfg_scale,
            steps: body.steps,
            batch_size: body.batch_size,
            sd_model_name: fake.checkpoints[0],
            denoising_strength: body.denoising_strength ?? null,
          }
          // img2img echoes its parameters without the images unless include_init_images is set.
          const parameters = path.endsWith('img2img') ? { ...body, init_images: null, mask: null } : body
          return send(res, 200, {
            images: images.map((png) => png.toString('base64')),
            parameters,
            info: JSON.stringify(info),
          })
        }
      }
    } catch (error) {
      if (error instanceof WebUiError) return send(res, error.status, error.body)
      send(res, 500, { error: 'Exception', detail: '', body: '', errors: String(error) })
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  fake.close = async () => {
    fake.holdJobs = false
    running?.finish()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return fake
}

/** Starts `count` fakes, one per WebUI of a pool. */
export function startFakeSdWebUis(count: number): Promise<FakeSdWebUi[]> {
  return Promise.all(Array.from({ length: count }, () => startFakeSdWebUi()))
}

/**
 * `/sdapi/v1/progress` as A1111 answers it (`progressapi`): idle, `job_count` 0 and progress 0;
 * running, 0.01 plus the share of steps done (the WebUI's own "avoid dividing zero"), the state's
 * counters, and `current_task` (null when idle) from 1.9 on.
 */
function progressAnswer(job: FakeJob | null, reportsCurrentTask: boolean): Record<string, unknown> {
  const state = {
    skipped: false,
    interrupted: job?.interrupted ?? false,
    stopping_generation: false,
    job: job ? 'scripts_txt2img' : '',
    job_count: job ? 1 : 0,
    job_timestamp: '20260101000000',
    job_no: 0,
    sampling_step: job?.step ?? 0,
    sampling_steps: job?.steps ?? 0,
  }
  const progress = job ? Math.min(1, 0.01 + job.step / job.steps) : 0
  return {
    progress,
    eta_relative: job ? 3.2 : 0,
    state,
    current_image: null,
    textinfo: null,
    ...(reportsCurrentTask ? { current_task: job?.taskId ?? null } : {}),
  }
}

/** Named counts a test can wait on without sleeping. */
function counter() {
  const counts = new Map<string, number>()
  const waiters: { name: string; count: number; resolve: () => void }[] = []
  return {
    set(name: string, value: number) {
      counts.set(name, value)
      for (const waiter of waiters.splice(0)) {
        if (waiter.name === name && value >= waiter.count) waiter.resolve()
        else waiters.push(waiter)
      }
    },
    until(name: string, count: number): Promise<void> {
      if ((counts.get(name) ?? 0) >= count) return Promise.resolve()
      return new Promise((resolve) => waiters.push({ name, count, resolve }))
    },
  }
}

/** Type checks as the WebUI's pydantic models make them, plus the img2img handler's own checks. */
function validate(body: Record<string, unknown>, path: string): Record<string, unknown> {
  const problems: { loc: (string | number)[]; msg: string; type: string }[] = []
  for (const field of INTEGER_FIELDS) {
    if (body[field] !== undefined && !Number.isInteger(body[field])) {
      problems.push({ loc: ['body', field], msg: 'value is not a valid integer', type: 'type_error.integer' })
    }
  }
  for (const field of NUMBER_FIELDS) {
    if (body[field] !== undefined && typeof body[field] !== 'number') {
      problems.push({ loc: ['body', field], msg: 'value is not a valid float', type: 'type_error.float' })
    }
  }
  if (problems.length > 0) throw new WebUiError(422, { detail: problems })
  const filled = {
    batch_size: 1,
    n_iter: 1,
    width: 512,
    height: 512,
    steps: 50,
    cfg_scale: 7,
    seed: -1,
    ...body,
  }
  if (path === '/sdapi/v1/img2img') {
    const init = body.init_images
    if (!Array.isArray(init) || init.length === 0) {
      throw handlerError(404, 'HTTPException', 'Init image not found', '404: Init image not found')
    }
    for (const encoded of [...init, ...(body.mask ? [body.mask] : [])]) {
      if (typeof encoded !== 'string' || !pngInfo(Buffer.from(encoded, 'base64'))) {
        throw handlerError(500, 'HTTPException', 'Invalid encoded image', '500: Invalid encoded image')
      }
    }
  }
  return filled
}

function blackPng(width: number, height: number): Buffer {
  const data = new Uint8Array(width * height * 4)
  for (let i = 3; i < data.length; i += 4) data[i] = 255
  return encodePng({ width, height, data }, { level: 1 })
}

/** Decodes a base64 PNG the engine sent (init image or mask), for assertions. */
export function decodeSent(encoded: unknown) {
  if (typeof encoded !== 'string') throw new Error('expected a base64 string')
  return decodePng(Buffer.from(encoded, 'base64'))
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}
