import { decodePng, encodePng } from '../../src/images/png.ts'
import { OpenAiHttpError, readBody, send, serveOpenAiFake } from './openai-fake-server.ts'

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

  const served = await serveOpenAiFake(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const text = await readBody(req)
    if (req.method !== 'POST' || path !== '/v1/moderations') {
      throw new OpenAiHttpError(404, `Invalid URL (${req.method} ${path})`, 'invalid_request_error')
    }
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      throw new OpenAiHttpError(
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
      throw new OpenAiHttpError(
        400,
        'We could not parse the JSON body of your request.',
        'invalid_request_error',
      )
    }
    fake.requests.push({ model: body.model, input: body.input })
    if (fake.failing) {
      throw new OpenAiHttpError(500, 'The server had an error while processing your request.', 'server_error')
    }
    const model = body.model ?? 'omni-moderation-latest'
    if (typeof model !== 'string' || !/^(omni|text)-moderation-/.test(model)) {
      throw new OpenAiHttpError(
        400,
        `Invalid value for 'model': ${String(model)}.`,
        'invalid_request_error',
        'model',
      )
    }
    const inputs = readInput(body.input)
    const images = inputs.flat().filter((p) => p.kind === 'image').length
    if (images > 1) {
      throw new OpenAiHttpError(
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
  })
  fake.url = served.url
  fake.close = served.close
  return fake
}

/** The inputs, each the parts one result covers: a string or each string of an array alone, or all parts together. */
function readInput(input: unknown): Part[][] {
  if (typeof input === 'string') return [[{ kind: 'text', text: input }]]
  if (!Array.isArray(input) || input.length === 0) {
    throw new OpenAiHttpError(400, "Invalid value for 'input'.", 'invalid_request_error', 'input')
  }
  if (input.every((i) => typeof i === 'string')) return input.map((text) => [{ kind: 'text', text }])
  return [
    input.map((part: unknown): Part => {
      const p = part as { type?: unknown; text?: unknown; image_url?: { url?: unknown } }
      if (p?.type === 'text' && typeof p.text === 'string') return { kind: 'text', text: p.text }
      if (p?.type === 'image_url' && typeof p.image_url?.url === 'string') {
        const m = /^data:image\/(png|jpeg|webp|gif);base64,(.+)$/.exec(p.image_url.url)
        if (!m) {
          throw new OpenAiHttpError(
            400,
            'Invalid image URL: expected a data URL.',
            'invalid_request_error',
            'input',
          )
        }
        return { kind: 'image', png: Buffer.from(m[2]!, 'base64') }
      }
      throw new OpenAiHttpError(400, "Invalid value for 'input'.", 'invalid_request_error', 'input')
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
    throw new OpenAiHttpError(400, 'Invalid image: could not be decoded.', 'invalid_request_error', 'input')
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
