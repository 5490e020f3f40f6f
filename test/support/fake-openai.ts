import type http from 'node:http'
import { encodePng, pngInfo } from '../../src/images/png.ts'
import { OpenAiHttpError, send, serveOpenAiFake } from './openai-fake-server.ts'

/**
 * A local server that speaks the OpenAI Images API as documented (and as the `openai` SDK sends
 * it): `POST /v1/images/generations` (JSON), `POST /v1/images/edits` and `/v1/images/variations`
 * (multipart), Bearer auth, `{created, data: [{b64_json}]}` answers with real PNGs of the size
 * asked for, and errors shaped `{error: {message, type, param, code}}`. Sizes and qualities are
 * checked per model as the API reference lists them.
 */

export type FakeOpenAiBehaviour = 'ok' | 'content_policy' | 'server_error' | 'bad_request' | 'hang' | 'empty'

export interface RecordedFile {
  filename: string
  type: string
  bytes: Buffer
}

export interface RecordedRequest {
  method: string
  path: string
  headers: http.IncomingHttpHeaders
  /** The JSON body (generations), else null. */
  json: Record<string, unknown> | null
  /** Multipart text fields (edits, variations); `n` arrives as the string "2". */
  fields: Record<string, string>
  /** Multipart files (`image`, `mask`). */
  files: Record<string, RecordedFile>
}

export interface FakeOpenAi {
  /** The API root to give the SDK as `baseURL` (ends in `/v1`). */
  url: string
  apiKey: string
  requests: RecordedRequest[]
  behaviour: FakeOpenAiBehaviour
  /** Answer with `url`s (to `/files/…` on this server) instead of `b64_json`, like a dall-e-2-era server. */
  answerWithUrls: boolean
  /** Answer with images of this size whatever was asked (a server that makes one size only). */
  answerSize: string | null
  /** Resolves once at least `count` API requests have arrived. */
  received(count?: number): Promise<void>
  close(): Promise<void>
}

const GPT_IMAGE_SIZES = ['1024x1024', '1536x1024', '1024x1536', 'auto']
const DALL_E_2_SIZES = ['256x256', '512x512', '1024x1024']
const DALL_E_3_SIZES = ['1024x1024', '1792x1024', '1024x1792']
const GPT_IMAGE_QUALITIES = ['low', 'medium', 'high', 'auto']
const DALL_E_3_QUALITIES = ['standard', 'hd']
const DALL_E_2_QUALITIES = ['standard']

export async function startFakeOpenAi(options: { apiKey?: string } = {}): Promise<FakeOpenAi> {
  const apiKey = options.apiKey ?? 'sk-fake-0123456789abcdefSECRET'
  const files = new Map<string, Buffer>()
  const waiters: { count: number; resolve: () => void }[] = []
  let fileSeq = 0

  const fake: FakeOpenAi = {
    url: '',
    apiKey,
    requests: [],
    behaviour: 'ok',
    answerWithUrls: false,
    answerSize: null,
    received(count = 1) {
      if (fake.requests.length >= count) return Promise.resolve()
      return new Promise((resolve) => waiters.push({ count, resolve }))
    },
    close: async () => {},
  }

  const served = await serveOpenAiFake(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    if (req.method === 'GET' && path.startsWith('/files/')) {
      const png = files.get(path.slice('/files/'.length))
      if (!png) return send(res, 404, { error: 'not found' })
      res.writeHead(200, { 'content-type': 'image/png' }).end(png)
      return
    }
    const recorded = await record(req, path)
    fake.requests.push(recorded)
    for (const waiter of waiters.splice(0)) {
      if (fake.requests.length >= waiter.count) waiter.resolve()
      else waiters.push(waiter)
    }
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      const given = (req.headers.authorization ?? '').replace(/^Bearer /, '')
      // Like the real API, the message quotes part of the key it was given.
      throw new OpenAiHttpError(
        401,
        `Incorrect API key provided: ${given.slice(0, 6)}***${given.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        'invalid_request_error',
        null,
        'invalid_api_key',
      )
    }
    const body = checkRequest(recorded)
    switch (fake.behaviour) {
      case 'hang':
        return // never answers; close() destroys the socket
      case 'server_error':
        throw new OpenAiHttpError(
          500,
          'The server had an error while processing your request. Sorry about that!',
          'server_error',
        )
      case 'bad_request':
        throw new OpenAiHttpError(
          400,
          "Invalid value for 'prompt': the prompt is too long.",
          'invalid_request_error',
          'prompt',
          'invalid_value',
        )
      case 'content_policy':
        throw isGptImage(body.model)
          ? new OpenAiHttpError(
              400,
              'Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID req_fake.',
              'image_generation_user_error',
              null,
              'moderation_blocked',
            )
          : new OpenAiHttpError(
              400,
              'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
              'invalid_request_error',
              null,
              'content_policy_violation',
            )
      case 'empty':
        return send(res, 200, { created: now(), data: [] })
      case 'ok': {
        const made = fake.answerSize ?? (body.size === 'auto' ? '1024x1024' : body.size)
        const [width, height] = made.split('x').map(Number)
        const data = Array.from({ length: body.n }, (_, index) => {
          const png = samplePng(width!, height!, index)
          if (!fake.answerWithUrls && (isGptImage(body.model) || body.responseFormat === 'b64_json')) {
            return { b64_json: png.toString('base64') }
          }
          const id = `img_${++fileSeq}.png`
          files.set(id, png)
          return { url: `${fake.url.replace(/\/v1$/, '')}/files/${id}` }
        })
        const answer: Record<string, unknown> = { created: now(), data }
        if (isGptImage(body.model)) {
          Object.assign(answer, {
            background: 'opaque',
            output_format: 'png',
            // What `auto` became: the best the model makes.
            quality: body.quality === 'auto' ? 'high' : body.quality,
            size: made,
            usage: {
              input_tokens: 50,
              input_tokens_details: { image_tokens: 0, text_tokens: 50 },
              output_tokens: 272 * body.n,
              total_tokens: 50 + 272 * body.n,
            },
          })
        }
        return send(res, 200, answer)
      }
    }
  })
  fake.url = served.url
  fake.close = served.close
  return fake
}

interface CheckedBody {
  model: string
  n: number
  size: string
  quality: string
  responseFormat: string | null
}

/** The documented rules the engine must keep to (sizes per model, n 1–10, PNG uploads). */
function checkRequest(request: RecordedRequest): CheckedBody {
  const { path } = request
  const multipart = path === '/v1/images/edits' || path === '/v1/images/variations'
  if (path !== '/v1/images/generations' && !multipart) {
    throw new OpenAiHttpError(404, `Invalid URL (${request.method} ${path})`, 'invalid_request_error')
  }
  const raw: Record<string, unknown> = multipart ? request.fields : (request.json ?? {})
  const defaultModel = path === '/v1/images/edits' ? 'gpt-image-1.5' : 'dall-e-2'
  const model = typeof raw.model === 'string' ? raw.model : defaultModel
  if (path === '/v1/images/variations' && model !== 'dall-e-2') {
    throw new OpenAiHttpError(
      400,
      `Invalid value: '${model}'. Value must be 'dall-e-2'.`,
      'invalid_request_error',
      'model',
    )
  }
  if (path !== '/v1/images/variations' && (typeof raw.prompt !== 'string' || raw.prompt === '')) {
    throw new OpenAiHttpError(
      400,
      "Missing required parameter: 'prompt'.",
      'invalid_request_error',
      'prompt',
      'missing_required_parameter',
    )
  }
  const n = raw.n === undefined ? 1 : Number(raw.n)
  if (!Number.isInteger(n) || n < 1 || n > 10) {
    throw new OpenAiHttpError(
      400,
      `Invalid 'n': integer between 1 and 10 expected.`,
      'invalid_request_error',
      'n',
      'invalid_value',
    )
  }
  const allowed = isGptImage(model) ? GPT_IMAGE_SIZES : model === 'dall-e-3' ? DALL_E_3_SIZES : DALL_E_2_SIZES
  const size = typeof raw.size === 'string' ? raw.size : (allowed[0] ?? '1024x1024')
  if (!allowed.includes(size)) {
    throw new OpenAiHttpError(
      400,
      `Invalid value: '${size}'. Supported values are: ${allowed.map((s) => `'${s}'`).join(', ')}.`,
      'invalid_request_error',
      'size',
      'invalid_value',
    )
  }
  const qualities = isGptImage(model)
    ? GPT_IMAGE_QUALITIES
    : model === 'dall-e-3'
      ? DALL_E_3_QUALITIES
      : DALL_E_2_QUALITIES
  const quality = typeof raw.quality === 'string' ? raw.quality : isGptImage(model) ? 'auto' : 'standard'
  if (!qualities.includes(quality)) {
    throw new OpenAiHttpError(
      400,
      `Invalid value: '${quality}'. Supported values are: ${qualities.map((q) => `'${q}'`).join(', ')}.`,
      'invalid_request_error',
      'quality',
      'invalid_value',
    )
  }
  const responseFormat = typeof raw.response_format === 'string' ? raw.response_format : null
  if (responseFormat !== null && isGptImage(model)) {
    throw new OpenAiHttpError(
      400,
      "Unknown parameter: 'response_format'.",
      'invalid_request_error',
      'response_format',
      'unknown_parameter',
    )
  }
  if (multipart) {
    const image = request.files.image
    const info = image ? pngInfo(image.bytes) : null
    if (!info)
      throw new OpenAiHttpError(400, 'Invalid image file: expected a PNG.', 'invalid_request_error', 'image')
    const mask = request.files.mask
    if (mask) {
      const maskInfo = pngInfo(mask.bytes)
      if (!maskInfo || maskInfo.width !== info.width || maskInfo.height !== info.height) {
        throw new OpenAiHttpError(
          400,
          'Invalid mask image: must be a PNG the size of image.',
          'invalid_request_error',
          'mask',
        )
      }
    }
  }
  return { model, n, size, quality, responseFormat }
}

async function record(req: http.IncomingMessage, path: string): Promise<RecordedRequest> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const raw = Buffer.concat(chunks)
  const type = req.headers['content-type'] ?? ''
  const recorded: RecordedRequest = {
    method: req.method ?? 'GET',
    path,
    headers: req.headers,
    json: null,
    fields: {},
    files: {},
  }
  if (type.startsWith('application/json')) {
    recorded.json = JSON.parse(raw.toString('utf8')) as Record<string, unknown>
  } else if (type.startsWith('multipart/form-data')) {
    // undici's own multipart parser, the counterpart of the FormData the SDK sends.
    const form = await new Response(raw, { headers: { 'content-type': type } }).formData()
    for (const [name, value] of form) {
      if (typeof value === 'string') recorded.fields[name] = value
      else {
        recorded.files[name] = {
          filename: value.name,
          type: value.type,
          bytes: Buffer.from(await value.arrayBuffer()),
        }
      }
    }
  }
  return recorded
}

const samples = new Map<string, Buffer>()

/** A small, real PNG: a two-colour split that differs per index, so images are told apart. */
export function samplePng(width: number, height: number, index = 0): Buffer {
  const key = `${width}x${height}#${index}`
  const cached = samples.get(key)
  if (cached) return cached
  const data = new Uint8Array(width * height * 4)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4
      data[o] = x < width / 2 ? 200 : 40
      data[o + 1] = (index * 60) % 256
      data[o + 2] = y < height / 2 ? 220 : 30
      data[o + 3] = 255
    }
  }
  const png = encodePng({ width, height, data }, { level: 1 })
  samples.set(key, png)
  return png
}

function isGptImage(model: string): boolean {
  return /^(gpt-image|chatgpt-image)/.test(model)
}

function now(): number {
  return Math.floor(Date.now() / 1000)
}
