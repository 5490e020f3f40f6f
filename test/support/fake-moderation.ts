import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { decodePng, encodePng } from '../../src/images/png.ts'

/**
 * A local server that speaks OpenAI's moderation endpoint as documented (and as the `openai` SDK
 * sends it): `POST /v1/moderations {model, input}` with Bearer auth, where `input` is a string, an
 * array of strings (one result each), or an array of multi-modal parts (`{type:'text', text}`,
 * `{type:'image_url', image_url:{url}}`, one result for them all, at most one image). It answers
 * `{id, model, results:[{flagged, categories, category_scores, category_applied_input_types}]}`
 * and errors shaped `{error:{message, type, param, code}}`.
 *
 * What it flags is switchable: text containing `markerWord` (as `violence`), and images with a
 * pixel of `markerColour` (as `sexual`); `failing` answers every request with a 500.
 */
export interface FakeModeration {
  /** The API root to give the SDK as `baseURL` (ends in `/v1`). */
  url: string
  apiKey: string
  /** Every request's JSON body, in order. */
  requests: Array<{ model: unknown; input: unknown }>
  markerWord: string
  /** RGB. */
  markerColour: readonly [number, number, number]
  /** Answer 500 to everything (an outage). */
  failing: boolean
  close(): Promise<void>
}

/** Categories of `omni-moderation-latest`, and which input types each applies to (API reference). */
const CATEGORIES: Record<string, readonly ('text' | 'image')[]> = {
  harassment: ['text'],
  'harassment/threatening': ['text'],
  hate: ['text'],
  'hate/threatening': ['text'],
  illicit: ['text'],
  'illicit/violent': ['text'],
  'self-harm': ['text', 'image'],
  'self-harm/instructions': ['text', 'image'],
  'self-harm/intent': ['text', 'image'],
  sexual: ['text', 'image'],
  'sexual/minors': ['text'],
  violence: ['text', 'image'],
  'violence/graphic': ['text', 'image'],
}

class ApiError {
  constructor(
    readonly status: number,
    readonly message: string,
    readonly type: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {}
}

type Part = { kind: 'text'; text: string } | { kind: 'image'; png: Buffer }

export async function startFakeModeration(options: { apiKey?: string } = {}): Promise<FakeModeration> {
  const apiKey = options.apiKey ?? 'sk-fake-moderation-0123456789SECRET'
  const fake: FakeModeration = {
    url: '',
    apiKey,
    requests: [],
    markerWord: 'contraband',
    markerColour: [255, 0, 255],
    failing: false,
    close: async () => {},
  }

  const server = http.createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname
      const text = await readBody(req)
      if (req.method !== 'POST' || path !== '/v1/moderations') {
        throw new ApiError(404, `Invalid URL (${req.method} ${path})`, 'invalid_request_error')
      }
      if (req.headers.authorization !== `Bearer ${apiKey}`) {
        throw new ApiError(
          401,
          'Incorrect API key provided.',
          'invalid_request_error',
          null,
          'invalid_api_key',
        )
      }
      let body: { model?: unknown; input?: unknown }
      try {
        body = JSON.parse(text) as typeof body
      } catch {
        throw new ApiError(400, 'We could not parse the JSON body of your request.', 'invalid_request_error')
      }
      fake.requests.push({ model: body.model, input: body.input })
      if (fake.failing) {
        throw new ApiError(500, 'The server had an error while processing your request.', 'server_error')
      }
      const model = body.model ?? 'omni-moderation-latest'
      if (typeof model !== 'string' || !/^(omni|text)-moderation-/.test(model)) {
        throw new ApiError(
          400,
          `Invalid value for 'model': ${String(model)}.`,
          'invalid_request_error',
          'model',
        )
      }
      const inputs = readInput(body.input)
      const images = inputs.flat().filter((p) => p.kind === 'image').length
      if (images > 1) {
        throw new ApiError(
          400,
          `Number of images (${images}) exceeds maximum of 1`,
          'invalid_request_error',
          'input',
          'too_many_images',
        )
      }
      send(res, 200, {
        id: `modr-${Math.random().toString(36).slice(2, 12)}`,
        model: `${model.replace(/-latest$/, '')}-2024-09-26`,
        results: inputs.map((parts) => resultOf(fake, parts)),
      })
    } catch (error) {
      if (error instanceof ApiError) {
        const { status, message, type, param, code } = error
        return send(res, status, { error: { message, type, param, code } })
      }
      send(res, 500, { error: { message: String(error), type: 'server_error', param: null, code: null } })
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
  fake.close = async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return fake
}

/** The inputs, each the parts one result covers: a string or each string of an array alone, or all parts together. */
function readInput(input: unknown): Part[][] {
  if (typeof input === 'string') return [[{ kind: 'text', text: input }]]
  if (!Array.isArray(input) || input.length === 0) {
    throw new ApiError(400, "Invalid value for 'input'.", 'invalid_request_error', 'input')
  }
  if (input.every((i) => typeof i === 'string')) return input.map((text) => [{ kind: 'text', text }])
  return [
    input.map((part: unknown): Part => {
      const p = part as { type?: unknown; text?: unknown; image_url?: { url?: unknown } }
      if (p?.type === 'text' && typeof p.text === 'string') return { kind: 'text', text: p.text }
      if (p?.type === 'image_url' && typeof p.image_url?.url === 'string') {
        const m = /^data:image\/(png|jpeg|webp|gif);base64,(.+)$/.exec(p.image_url.url)
        if (!m) {
          throw new ApiError(400, 'Invalid image URL: expected a data URL.', 'invalid_request_error', 'input')
        }
        return { kind: 'image', png: Buffer.from(m[2]!, 'base64') }
      }
      throw new ApiError(400, "Invalid value for 'input'.", 'invalid_request_error', 'input')
    }),
  ]
}

function resultOf(fake: FakeModeration, parts: Part[]) {
  const flaggedText = parts.some(
    (p) => p.kind === 'text' && p.text.toLowerCase().includes(fake.markerWord.toLowerCase()),
  )
  const flaggedImage = parts.some((p) => p.kind === 'image' && hasColour(p.png, fake.markerColour))
  const types = new Set(parts.map((p) => p.kind))
  const categories: Record<string, boolean> = {}
  const scores: Record<string, number> = {}
  const applied: Record<string, string[]> = {}
  for (const [category, inputTypes] of Object.entries(CATEGORIES)) {
    const on = (category === 'violence' && flaggedText) || (category === 'sexual' && flaggedImage)
    categories[category] = on
    scores[category] = on ? 0.97 : 0.0012
    applied[category] = inputTypes.filter((t) => types.has(t))
  }
  return {
    flagged: flaggedText || flaggedImage,
    categories,
    category_scores: scores,
    category_applied_input_types: applied,
  }
}

function hasColour(png: Buffer, [r, g, b]: readonly [number, number, number]): boolean {
  let image: ReturnType<typeof decodePng>
  try {
    image = decodePng(png)
  } catch {
    throw new ApiError(400, 'Invalid image: could not be decoded.', 'invalid_request_error', 'input')
  }
  for (let i = 0; i < image.data.length; i += 4) {
    if (image.data[i] === r && image.data[i + 1] === g && image.data[i + 2] === b) return true
  }
  return false
}

/** A square PNG of one colour, with a dot of `dot` in its middle when given (the fake's marker). */
export function solidPng(
  size: number,
  colour: readonly [number, number, number],
  dot?: readonly [number, number, number],
): Buffer {
  const data = new Uint8Array(size * size * 4)
  for (let i = 0; i < data.length; i += 4) data.set([...colour, 255], i)
  if (dot) data.set([...dot, 255], ((size * size) / 2 + size / 2) * 4)
  return encodePng({ width: size, height: size, data })
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}
