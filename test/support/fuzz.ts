import { deflateSync, gzipSync } from 'node:zlib'
import { encodePng } from '../../src/images/png.ts'
import { ihdr, PNG_SIGNATURE, pngChunk } from './hostile-images.ts'

/*
 * A seeded, deterministic fuzzer for the HTTP surface. It knows no route by name: the routes come
 * from the app (`printRoutes()`), their parameters, query strings and bodies from the OpenAPI
 * document the app serves (generated from the route schemas), so a route added tomorrow is fuzzed
 * tomorrow. Each case starts from a request its route would accept (values drawn from the schema
 * and from real ids of the test's world) and departs from it in a few ways, drawn independently:
 * the method, the path, the query, the body, the headers, the credentials. Now and then none is
 * drawn, so that what lies behind validation (jobs, uploads, the engine) is reached too.
 *
 * Case `i` of seed `s` depends on `s`, `i` and the world's ids only (its own PRNG), never on earlier
 * answers: a case that fails is reproduced by its seed and index alone (`FUZZ_SEED=s FUZZ_ONLY=i`),
 * and {@link describeCase} prints it as an `inject()` call besides.
 */

// ── A seeded PRNG ────────────────────────────────────────────────────────────────────────────────

/** sfc32, seeded through splitmix32: small, fast, and the same numbers on every platform. */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number) {
    let s = seed >>> 0
    const splitmix = () => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = splitmix()
    this.b = splitmix()
    this.c = splitmix()
    this.d = splitmix()
    for (let i = 0; i < 12; i++) this.next()
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0
    this.d = (this.d + 1) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0
    this.c = (this.c + t) >>> 0
    return t
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.next() / 0x1_0000_0000) * n)
  }

  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1)
  }

  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from an empty list')
    return xs[this.int(xs.length)]!
  }

  /** One of `choices`, each as likely as its weight. */
  weighted<T>(choices: ReadonlyArray<readonly [number, T]>): T {
    const total = choices.reduce((sum, [w]) => sum + w, 0)
    let at = (this.next() / 0x1_0000_0000) * total
    for (const [w, value] of choices) {
      at -= w
      if (at < 0) return value
    }
    return choices[choices.length - 1]![1]
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n)
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff
    return out
  }
}

/** The seed of case `index` of a run seeded `seed` (cases do not share a PRNG). */
export function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0
}

// ── The routes, from the app ─────────────────────────────────────────────────────────────────────

export interface Endpoint {
  method: string
  /** Fastify's form: `/api/jobs/:id`, `/docs/*`. */
  url: string
}

/**
 * Every route of the app, read from `printRoutes({ commonPrefix: false })` (each line a node of the
 * router's tree: its part of the path, then its methods): nothing to keep in step by hand.
 */
export function listRoutes(app: { printRoutes(options: { commonPrefix: boolean }): string }): Endpoint[] {
  const out: Endpoint[] = []
  const stack: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const at = line.search(/[├└]── /)
    if (at < 0) continue
    const depth = at / 4
    const m = /^(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(at + 4))
    if (!m) continue
    stack.length = depth
    const url = (stack[depth - 1] ?? '') + m[1]!
    stack.push(url)
    for (const method of (m[2] ?? '').split(',').map((s) => s.trim())) {
      if (method) out.push({ method, url })
    }
  }
  return out
}

type Schema = {
  type?: string
  enum?: unknown[]
  pattern?: string
  format?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  items?: Schema
  maxItems?: number
  properties?: Record<string, Schema>
  required?: string[]
  nullable?: boolean
}

/** A route with what its OpenAPI operation says about its inputs (nothing, for the studio's files). */
export interface FuzzRoute extends Endpoint {
  params: string[]
  /** Query parameters: each one's schema, and whether it must be there. */
  query: Record<string, { schema: Schema; required: boolean }>
  json: Schema | null
  multipart: Schema | null
  /** The file fields of its multipart form. */
  files: string[]
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Array<{ in: string; name: string; schema: Schema; required?: boolean }>
        requestBody?: { content: Record<string, { schema: Schema }> }
      }
    >
  >
}

/** The routes with their inputs: `routes` from {@link listRoutes}, `openapi` the app's /docs/json. */
export function describeRoutes(routes: readonly Endpoint[], openapi: unknown): FuzzRoute[] {
  const doc = openapi as OpenApiDocument
  return routes.map((r) => {
    const op = doc.paths?.[r.url.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()]
    const query: FuzzRoute['query'] = {}
    for (const p of op?.parameters ?? []) {
      if (p.in === 'query') query[p.name] = { schema: p.schema, required: p.required === true }
    }
    const content = op?.requestBody?.content ?? {}
    const multipart = content['multipart/form-data']?.schema ?? null
    const binary = Object.entries(multipart?.properties ?? {})
      .filter(([, s]) => s.format === 'binary')
      .map(([name]) => name)
    return {
      ...r,
      params: [...r.url.matchAll(/:(\w+)/g)].map((m) => m[1]!),
      query,
      json: content['application/json']?.schema ?? null,
      multipart,
      // A form whose schema names no file (the native API's job form) takes the uploads' two.
      files: multipart ? (binary.length > 0 ? binary : ['image', 'mask']) : [],
    }
  })
}

// ── The world a case is drawn from ───────────────────────────────────────────────────────────────

/** Real values of the test's world, so that some requests get past "not found" to the handlers. */
export interface FuzzWorld {
  /** Real ids by prefix (`img`, `job`, `key`, `user`, `txn`): the fuzzing user's and others'. */
  ids: Record<string, string[]>
  emails: string[]
  /** Working signed links, as `/files/images/<file>?expires=…&signature=…`. */
  signedLinks: string[]
}

/**
 * Who sends a case. The test turns each into headers: `key` the fuzzing user's API key, `session`
 * its browser session with the CSRF token, `admin` an administrator's key, the rest broken.
 */
export const IDENTITIES = [
  [30, 'key'],
  [18, 'session'],
  [8, 'session-without-csrf'],
  [4, 'session-wrong-csrf'],
  [12, 'nobody'],
  [10, 'admin'],
  [6, 'bogus-authorization'],
  [6, 'bogus-cookie'],
  [6, 'key-and-session'],
] as const satisfies ReadonlyArray<readonly [number, string]>

export type Identity = (typeof IDENTITIES)[number][1]

export interface FuzzCase {
  index: number
  /** The route the case departs from, e.g. `POST /api/jobs`. */
  route: string
  identity: Identity
  /** What was done to the route's well-formed request, in order. */
  mutations: string[]
  method: string
  url: string
  /** Without credentials: the test adds the identity's, and these override them. */
  headers: Record<string, string>
  payload?: Buffer
}

// ── Nasty values ─────────────────────────────────────────────────────────────────────────────────

const ID_TAIL = '01jd3q8z6x4c9m2k7w5e0t1r8b'
const PREFIXES = ['img', 'job', 'key', 'user', 'acct', 'txn', 'hold', 'lot', 'req', 'sess']

/** Values no field wants, of every JSON type. */
const NASTY_JSON: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  -0.000001,
  1e308,
  -1e308,
  2 ** 53 + 2,
  -(2 ** 63),
  2 ** 31,
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
  '0x10',
  ' 1',
  '1 ',
  '１',
  '256x256\n',
  '256X256',
  '../../etc/passwd',
  "' OR '1'='1' --",
  '"; drop table users; --',
  '<script>alert(1)</script>',
  '%00',
  '%E0%A4%A',
  'ünïcødé✓🙂',
  '\u202eevil',
  '\r\nx-injected: 1',
  'x'.repeat(5000),
  'y'.repeat(70_000),
  [],
  {},
  [1, 2, 3],
  { $gt: '' },
  JSON.parse('{"__proto__":{"admin":true}}'),
  [[[[[[[[[[[[]]]]]]]]]]]],
  `img_${ID_TAIL}`,
  `job_${ID_TAIL}`,
  `key_${ID_TAIL}`,
  `user_${ID_TAIL}`,
]

/** Strings no path parameter wants (raw: percent-encoded before they go in a path, unless noted). */
const NASTY_PARAMS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  '..',
  '.',
  '../../etc/passwd',
  '..\\..\\windows',
  "1' OR '1'='1",
  'ünïcødé✓🙂',
  '\ud83d',
  'null',
  'undefined',
  '0',
  '-1',
  '1e309',
  '9'.repeat(400),
  '__proto__',
  'constructor',
  'a/b',
  'a;b',
  '%',
  `img_${'a'.repeat(2000)}`,
  `img_${ID_TAIL.toUpperCase()}`,
  `img_${ID_TAIL}.png`,
  `img_${ID_TAIL}\n`,
]

/** Path segments that go in raw (already encoded, or deliberately broken). */
const RAW_SEGMENTS: readonly string[] = ['%00', '%E0%A4%A', '%ff', '%2e%2e', '%2F', '%', '%%', '%zz', '.%2e']

function nastyString(rng: Rng): string {
  const v = rng.pick(NASTY_JSON)
  return typeof v === 'string' ? v : JSON.stringify(v)
}

function randomUnicode(rng: Rng, length: number): string {
  let s = ''
  for (let i = 0; i < length; i++) {
    s += rng.weighted<() => string>([
      [6, () => String.fromCharCode(rng.between(0x20, 0x7e))],
      [1, () => String.fromCharCode(rng.between(0, 0x1f))],
      [2, () => String.fromCharCode(rng.between(0xa0, 0x2fff))],
      [1, () => String.fromCodePoint(rng.between(0x1f300, 0x1f64f))],
      [1, () => String.fromCharCode(rng.between(0xd800, 0xdfff))],
    ])()
  }
  return s
}

/** A random JSON value: any type, nesting up to `depth`. */
function randomJson(rng: Rng, depth = 4): unknown {
  return rng.weighted<() => unknown>([
    [3, () => rng.pick(NASTY_JSON)],
    [2, () => randomUnicode(rng, rng.between(0, 40))],
    [2, () => rng.between(-1000, 1000) * (rng.chance(0.3) ? 1e15 : 1)],
    [1, () => rng.chance(0.5)],
    [depth > 0 ? 2 : 0, () => Array.from({ length: rng.between(0, 4) }, () => randomJson(rng, depth - 1))],
    [
      depth > 0 ? 2 : 0,
      () =>
        Object.fromEntries(
          Array.from({ length: rng.between(0, 4) }, () => [
            rng.chance(0.7)
              ? rng.pick(['prompt', 'n', 'size', 'kind', 'id', 'email', 'image'])
              : randomUnicode(rng, 6),
            randomJson(rng, depth - 1),
          ]),
        ),
    ],
  ])()
}

// ── Images ───────────────────────────────────────────────────────────────────────────────────────

/**
 * A PNG declaring `width`×`height` whose one IDAT is `inflated` bytes of zeros, deflated (a zlib
 * bomb when `inflated` is far more than the declared size needs, or a huge image of few bytes).
 */
function bombPng(width: number, height: number, inflated: number): Buffer {
  const idat = deflateSync(Buffer.alloc(inflated), { level: 9 })
  return Buffer.concat([
    PNG_SIGNATURE,
    ihdr(width, height),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}

function picture(side: number, hole: boolean): Buffer {
  const data = new Uint8Array(side * side * 4)
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const i = (y * side + x) * 4
      data[i] = (x * 255) / side
      data[i + 1] = (y * 255) / side
      data[i + 2] = 128
      data[i + 3] = hole && Math.abs(x - side / 2) < side / 4 && Math.abs(y - side / 2) < side / 4 ? 0 : 255
    }
  }
  return encodePng({ width: side, height: side, data })
}

/** Made once, on first use: a zlib bomb costs a few milliseconds to deflate. */
let files: Record<string, Buffer> | undefined
function fileBytes(): Record<string, Buffer> {
  if (files) return files
  const png = picture(32, false)
  files = {
    png,
    mask: picture(32, true),
    'png 64x64': picture(64, false),
    'truncated png': png.subarray(0, Math.floor(png.length / 2)),
    'png header only, 20000x20000': Buffer.concat([
      PNG_SIGNATURE,
      ihdr(20000, 20000),
      pngChunk('IEND', Buffer.alloc(0)),
    ]),
    'png 20000x20000 with a zlib bomb': bombPng(20000, 20000, 8 * 1024 * 1024),
    'png 64x64 with a zlib bomb (8 MB inflated)': bombPng(64, 64, 8 * 1024 * 1024),
    'png 4096x4096 16-bit header': Buffer.concat([
      PNG_SIGNATURE,
      ihdr(4096, 4096, 16),
      pngChunk('IEND', Buffer.alloc(0)),
    ]),
    'png signature only': PNG_SIGNATURE,
    'png with a broken crc': Buffer.concat([
      png.subarray(0, 29),
      Buffer.from([0, 0, 0, 0]),
      png.subarray(33),
    ]),
    gif: Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64'),
    'jpeg header 30000x30000': Buffer.from([
      0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x75, 0x30, 0x75, 0x30, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11,
      0x01, 0x03, 0x11, 0x01, 0xff, 0xd9,
    ]),
    'webp header 16383x16383': Buffer.concat([
      Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x10\x00\x00\x00', 'latin1'),
      Buffer.from([0xfe, 0x3f, 0x00, 0xfe, 0x3f, 0x00]),
      Buffer.alloc(8),
    ]),
    'gzip bomb (8 MB of zeros)': gzipSync(Buffer.alloc(8 * 1024 * 1024), { level: 9 }),
    text: Buffer.from('this is not an image'),
    empty: Buffer.alloc(0),
    'random bytes': new Rng(7).bytes(3000),
    // Over the 1 MB upload limit the suites set, and over the whole form's limit with two of them.
    'png padded to 1.2 MB': Buffer.concat([png, Buffer.alloc(1_200_000)]),
  }
  return files
}

/** Bodies over every limit: made once (the largest over the whole form's 2.25 MB at a 1 MB upload limit). */
let huge: Buffer | undefined
const hugeBody = () => (huge ??= Buffer.alloc(2_500_000, 0x61))

// ── Building a case ──────────────────────────────────────────────────────────────────────────────

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH']
const WORDS = ['a lighthouse at dusk', 'a red boat', 'clouds over hills', 'a city at night', 'a cat']

/** A value the schema takes (mostly): ids from the world, small sizes, so that valid work stays cheap. */
function sample(rng: Rng, schema: Schema | undefined, name: string, world: FuzzWorld): unknown {
  if (!schema) return randomJson(rng, 2)
  // The smallest size: a request that gets through costs the engine as little as it can.
  if (name === 'size') return '256x256'
  if (schema.enum && schema.enum.length > 0) return rng.pick(schema.enum)
  const id = schema.pattern && /^\^([a-z]+)_/.exec(schema.pattern)
  if (id) return pickId(rng, world, id[1]!)
  switch (schema.type) {
    case 'integer':
    case 'number': {
      if (name === 'n') return 1
      if (name === 'expires' || name === 'from') return Date.now() + rng.between(-1000, 1000) * 1000
      if (name === 'to') return Date.now() + 86_400_000
      const lo = Math.max(schema.minimum ?? 0, -1000)
      const hi = Math.min(schema.maximum ?? 1000, 1000)
      return rng.between(lo, Math.max(lo, hi))
    }
    case 'boolean':
      return rng.chance(0.5)
    case 'array':
      return Array.from({ length: rng.between(0, Math.min(3, schema.maxItems ?? 3)) }, () =>
        sample(rng, schema.items, name, world),
      )
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const [key, s] of Object.entries(schema.properties ?? {})) {
        if (s.format === 'binary') continue
        if (schema.required?.includes(key) || rng.chance(0.3)) out[key] = sample(rng, s, key, world)
      }
      return out
    }
    default: {
      if (name === 'prompt') return rng.pick(WORDS)
      if (name === 'email')
        return rng.chance(0.5) ? rng.pick(world.emails) : `fuzz${rng.int(1e6)}@example.test`
      if (name === 'password' || name === 'current')
        return rng.chance(0.5) ? 'correct horse battery' : 'a long enough password'
      if (name === 'number') return '4242 4242 4242 4242'
      if (name === 'cvc') return '123'
      if (name === 'packId') return rng.pick(['pack-115', 'pack-600', 'pack-1'])
      if (name === 'signature') return 'A'.repeat(43)
      if (schema.pattern?.startsWith('^[a-z]')) return rng.pick(['beta', 'pro', 'free', 'team-a'])
      return rng.pick(WORDS).slice(0, schema.maxLength ?? 100)
    }
  }
}

function pickId(rng: Rng, world: FuzzWorld, prefix: string): string {
  const real = world.ids[prefix] ?? []
  return rng.weighted<() => string>([
    [real.length > 0 ? 6 : 0, () => rng.pick(real)],
    [2, () => `${prefix}_${ID_TAIL}`],
    [2, () => `${rng.pick(PREFIXES)}_${ID_TAIL}`],
  ])()
}

/**
 * Percent-encodes the UTF-8 bytes of `s` (like encodeURIComponent, which throws on a lone
 * surrogate; here it goes in as the replacement character, as a client would send it).
 */
function pct(s: string): string {
  let out = ''
  for (const byte of Buffer.from(s)) {
    const c = String.fromCharCode(byte)
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

function urlEncodeQuery(query: Record<string, unknown>): string {
  return Object.entries(query)
    .map(([k, v]) => `${pct(k)}=${pct(typeof v === 'string' ? v : JSON.stringify(v))}`)
    .join('&')
}

/** `value` as the text of a form field or query parameter. */
const asText = (value: unknown): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''))

/** Mostly: a real value for the parameter; else garbage of every kind. */
function pathParam(rng: Rng, route: FuzzRoute, name: string, world: FuzzWorld, notes: string[]): string {
  if (route.url.startsWith('/files/') && name === 'file') {
    if (rng.chance(0.6) && world.signedLinks.length > 0) {
      const link = rng.pick(world.signedLinks)
      return /\/files\/images\/([^?]+)/.exec(link)![1]!
    }
  }
  const prefix = /\/(jobs|images|keys|users)\//.exec(route.url)?.[1]
  const expected = prefix ? { jobs: 'job', images: 'img', keys: 'key', users: 'user' }[prefix]! : 'img'
  return rng.weighted<() => string>([
    [5, () => pickId(rng, world, expected)],
    [
      4,
      () => {
        const v = rng.pick(NASTY_PARAMS)
        notes.push(`path :${name} = ${JSON.stringify(v.slice(0, 40))}`)
        return pct(v)
      },
    ],
    [
      2,
      () => {
        const v = rng.pick(RAW_SEGMENTS)
        notes.push(`path :${name} = raw ${v}`)
        return v
      },
    ],
    [
      1,
      () => {
        notes.push(`path :${name} = unicode`)
        return pct(randomUnicode(rng, rng.between(1, 30)))
      },
    ],
  ])()
}

function buildPath(rng: Rng, route: FuzzRoute, world: FuzzWorld, notes: string[]): string {
  let path = route.url.replace(/:(\w+)/g, (_, name: string) => pathParam(rng, route, name, world, notes))
  if (path.endsWith('*')) {
    path =
      path.slice(0, -1) +
      rng.pick(['index.css', 'x.js', '../../package.json', '%00', pct(randomUnicode(rng, 8))])
  }
  if (rng.chance(0.1)) {
    const mangle = rng.pick([
      ['a trailing slash', (p: string) => `${p}/`],
      ['a doubled slash', (p: string) => p.replace('/', '//')],
      ['upper case', (p: string) => p.toUpperCase()],
      [
        'the other prefix',
        (p: string) => (p.startsWith('/api/') ? p.replace('/api/', '/v1/') : p.replace(/^\/v1\//, '/api/')),
      ],
      ['an extra segment', (p: string) => `${p}/${rng.pick(['x', '..', '%2e', 'events', '%00', '*'])}`],
      ['a dot segment', (p: string) => p.replace(/\/([^/]+)$/, '/./$1')],
      [
        'percent-encoded letters',
        (p: string) => p.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`),
      ],
      ['a matrix parameter', (p: string) => `${p};jsessionid=1`],
      ['a fragment', (p: string) => `${p}#frag`],
      ['a very long segment', (p: string) => `${p}/${'z'.repeat(rng.between(100, 9000))}`],
    ] as const)
    notes.push(`path with ${mangle[0]}`)
    path = mangle[1](path)
  }
  return path
}

function buildQuery(rng: Rng, route: FuzzRoute, world: FuzzWorld, notes: string[], link?: string): string {
  const values: Record<string, unknown> = {}
  if (link) Object.assign(values, Object.fromEntries(new URLSearchParams(link.split('?')[1] ?? '')))
  for (const [name, { schema, required }] of Object.entries(route.query)) {
    if (name in values) continue
    if (required || rng.chance(0.4)) values[name] = sample(rng, schema, name, world)
  }
  let query = urlEncodeQuery(values)
  if (rng.chance(0.35)) {
    const names = Object.keys(route.query)
    const kind = rng.weighted<string>([
      [4, 'a nasty value'],
      [2, 'a repeated parameter'],
      [2, 'random parameters'],
      [1, 'array and object parameters'],
      [1, 'malformed percent-encoding'],
      [1, 'prototype keys'],
      [1, 'a query of 8 KB'],
      [1, 'a missing required parameter'],
    ])
    notes.push(`query: ${kind}`)
    const name = names.length > 0 ? rng.pick(names) : 'limit'
    switch (kind) {
      case 'a nasty value':
        values[name] = nastyString(rng)
        query = urlEncodeQuery(values)
        break
      case 'a repeated parameter':
        query += `&${name}=${pct(asText(sample(rng, route.query[name]?.schema, name, world)))}&${name}=${pct(nastyString(rng))}`
        break
      case 'random parameters':
        query += `&${pct(randomUnicode(rng, 5))}=${pct(randomUnicode(rng, 10))}`
        break
      case 'array and object parameters':
        query += `&${name}[]=1&${name}[]=2&${name}[a][b]=c`
        break
      case 'malformed percent-encoding':
        query += `&${name}=${rng.pick(['%', '%E0%A4%A', '%00', '%zz', '%ff%fe', '+%2B+'])}`
        break
      case 'prototype keys':
        query += '&__proto__[admin]=1&constructor[prototype][admin]=1&hasOwnProperty=1'
        break
      case 'a query of 8 KB':
        query += `&${name}=${'q'.repeat(8192)}`
        break
      case 'a missing required parameter': {
        const required = names.filter((n) => route.query[n]!.required)
        for (const r of required) delete values[r]
        query = urlEncodeQuery(values)
        break
      }
    }
  }
  return query.replace(/^&/, '')
}

type Part = { name: string; value: string } | { name: string; file: Buffer; filename?: string; type?: string }

function multipartBody(parts: readonly Part[], boundary: string, eol = '\r\n'): Buffer {
  const chunks: Buffer[] = []
  for (const p of parts) {
    if ('value' in p) {
      chunks.push(
        Buffer.from(
          `--${boundary}${eol}Content-Disposition: form-data; name="${p.name}"${eol}${eol}${p.value}${eol}`,
        ),
      )
    } else {
      chunks.push(
        Buffer.from(
          `--${boundary}${eol}Content-Disposition: form-data; name="${p.name}"; filename="${p.filename ?? `${p.name}.png`}"${eol}Content-Type: ${p.type ?? 'image/png'}${eol}${eol}`,
        ),
        p.file,
        Buffer.from(eol),
      )
    }
  }
  chunks.push(Buffer.from(`--${boundary}--${eol}`))
  return Buffer.concat(chunks)
}

interface Body {
  payload?: Buffer
  headers: Record<string, string>
}

function jsonBody(rng: Rng, route: FuzzRoute, world: FuzzWorld, notes: string[]): Body {
  const valid = sample(rng, route.json ?? { type: 'object' }, 'body', world) as Record<string, unknown>
  const json = (v: unknown, type = 'application/json'): Body => ({
    payload: Buffer.from(JSON.stringify(v) ?? ''),
    headers: { 'content-type': type },
  })
  if (!rng.chance(0.8)) return json(valid)
  const text = JSON.stringify(valid)
  const kind = rng.weighted<string>([
    [8, 'a nasty field value'],
    [2, 'a required field left out'],
    [2, 'unknown fields'],
    [3, 'random JSON'],
    [3, 'deep nesting'],
    [2, 'truncated JSON'],
    [2, 'an empty body'],
    [2, 'invalid UTF-8'],
    [1, 'a NUL byte in the JSON text'],
    [2, 'numbers JSON cannot hold'],
    [1, 'duplicated keys'],
    [1, 'prototype pollution'],
    [1, 'a byte-order mark'],
    [4, 'another content type'],
    [3, 'a content-encoding'],
    [1, 'a wrong content-length'],
    [1, 'a body over 1 MB'],
    [1, 'multipart instead of JSON'],
  ])
  notes.push(`body: ${kind}`)
  switch (kind) {
    case 'a nasty field value': {
      const keys = Object.keys(route.json?.properties ?? {})
      const key = keys.length > 0 ? rng.pick(keys) : 'x'
      const value = rng.pick(NASTY_JSON)
      notes.push(`${key} = ${JSON.stringify(value)?.slice(0, 40)}`)
      const body = { ...valid }
      // A nested field (a card's number) gets it one level down too, sometimes.
      if (body[key] && typeof body[key] === 'object' && !Array.isArray(body[key]) && rng.chance(0.5)) {
        const inner = { ...(body[key] as Record<string, unknown>) }
        const innerKeys = Object.keys(inner)
        if (innerKeys.length > 0) inner[rng.pick(innerKeys)] = value
        body[key] = inner
      } else body[key] = value
      return json(body)
    }
    case 'a required field left out': {
      const body = { ...valid }
      for (const r of route.json?.required ?? Object.keys(body)) if (rng.chance(0.7)) delete body[r]
      return json(body)
    }
    case 'unknown fields':
      return json({
        ...valid,
        [randomUnicode(rng, 8)]: randomJson(rng, 2),
        stream: rng.chance(0.5),
        extra: randomJson(rng),
      })
    case 'random JSON':
      return json(randomJson(rng, 5))
    case 'deep nesting': {
      const depth = rng.pick([33, 100, 7000, 100_000])
      const open = rng.pick(['[', '{"a":'])
      const close = open === '[' ? ']' : '}'
      notes.push(`${depth} levels of ${open}`)
      const closed = rng.chance(0.5)
      return {
        payload: Buffer.from(open.repeat(depth) + (closed ? `1${close.repeat(depth)}` : '')),
        headers: { 'content-type': 'application/json' },
      }
    }
    case 'truncated JSON':
      return {
        payload: Buffer.from(text.slice(0, rng.int(Math.max(1, text.length)))),
        headers: { 'content-type': 'application/json' },
      }
    case 'an empty body':
      return rng.chance(0.5)
        ? { headers: { 'content-type': 'application/json' } }
        : {
            payload: Buffer.from(rng.pick([' ', '\n', 'null', '""', '0', '[]', '{}'])),
            headers: { 'content-type': 'application/json' },
          }
    case 'invalid UTF-8': {
      const bytes = Buffer.from(text)
      const at = rng.int(bytes.length)
      return {
        payload: Buffer.concat([
          bytes.subarray(0, at),
          Buffer.from(rng.pick([[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf]])),
          bytes.subarray(at),
        ]),
        headers: { 'content-type': 'application/json' },
      }
    }
    case 'a NUL byte in the JSON text':
      return {
        payload: Buffer.from(text.replace(/:/, ':\u0000')),
        headers: { 'content-type': 'application/json' },
      }
    case 'numbers JSON cannot hold': {
      const keys = Object.keys(route.json?.properties ?? { n: {} })
      const key = rng.pick(keys)
      const raw = rng.pick([
        '1e309',
        '-1e309',
        '1e-400',
        '123456789012345678901234567890',
        '-0',
        '0.1e1',
        '1.',
        '.5',
        '01',
        '+1',
        'NaN',
        'Infinity',
        '0x1F',
      ])
      notes.push(`${key} = ${raw}`)
      return {
        payload: Buffer.from(`${text.slice(0, -1)}${text.length > 2 ? ',' : ''}"${key}":${raw}}`),
        headers: { 'content-type': 'application/json' },
      }
    }
    case 'duplicated keys': {
      const keys = Object.keys(route.json?.properties ?? { n: {} })
      const key = rng.pick(keys)
      return {
        payload: Buffer.from(
          `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}"${key}":${JSON.stringify(rng.pick(NASTY_JSON))}}`,
        ),
        headers: { 'content-type': 'application/json' },
      }
    }
    case 'prototype pollution':
      return {
        payload: Buffer.from(
          `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}${rng.pick(['"__proto__":{"role":"admin"}', '"constructor":{"prototype":{"role":"admin"}}', '"__proto__":null'])}}`,
        ),
        headers: { 'content-type': 'application/json' },
      }
    case 'a byte-order mark':
      return {
        payload: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]),
        headers: { 'content-type': 'application/json' },
      }
    case 'another content type': {
      const type = rng.pick([
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/xml',
        'application/json; charset=utf-16',
        'application/json; charset=latin1',
        'application/json; charset="utf-8"; foo=bar',
        'APPLICATION/JSON',
        'application/vnd.api+json',
        'application/json-patch+json',
        '*/*',
        'application/',
        ';',
        'multipart/form-data',
        'multipart/form-data; boundary=',
        'application/octet-stream',
        'image/png',
      ])
      notes.push(`content-type ${JSON.stringify(type)}`)
      return {
        payload: Buffer.from(rng.chance(0.5) ? text : urlEncodeQuery(valid)),
        headers: { 'content-type': type },
      }
    }
    case 'a content-encoding': {
      const encoding = rng.pick(['gzip', 'deflate', 'br', 'identity', 'gzip, gzip', 'x-nonsense', 'compress'])
      const what = rng.pick(['garbage', 'the JSON gzipped', 'a gzip bomb'])
      notes.push(`content-encoding ${encoding} with ${what}`)
      const payload =
        what === 'garbage'
          ? rng.bytes(rng.between(1, 200))
          : what === 'a gzip bomb'
            ? fileBytes()['gzip bomb (8 MB of zeros)']!
            : gzipSync(Buffer.from(text))
      return { payload, headers: { 'content-type': 'application/json', 'content-encoding': encoding } }
    }
    case 'a wrong content-length': {
      const payload = Buffer.from(text)
      const length = rng.pick([0, payload.length - 1, payload.length + 1, payload.length + 1000])
      notes.push(`content-length ${length} for ${payload.length} bytes`)
      return {
        payload,
        headers: { 'content-type': 'application/json', 'content-length': String(Math.max(0, length)) },
      }
    }
    case 'a body over 1 MB':
      return json({ ...valid, prompt: 'a'.repeat(1_100_000) })
    default: {
      const boundary = 'fuzz-boundary'
      return {
        payload: multipartBody(
          Object.entries(valid).map(([name, v]) => ({ name, value: asText(v) })),
          boundary,
        ),
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      }
    }
  }
}

function formBody(rng: Rng, route: FuzzRoute, world: FuzzWorld, notes: string[]): Body {
  const schema = route.multipart!
  const fields = sample(rng, schema, 'form', world) as Record<string, unknown>
  // The native form chooses its kind: an upload for an edit or a variation.
  if ('kind' in (schema.properties ?? {}))
    fields.kind = rng.weighted([
      [6, 'edit'],
      [3, 'variation'],
      [1, 'generate'],
    ])
  if (fields.kind !== 'generate' && !('prompt' in fields) && rng.chance(0.8)) fields.prompt = rng.pick(WORDS)
  delete fields.imageId
  const all = fileBytes()
  const parts: Part[] = Object.entries(fields).map(([name, v]) => ({ name, value: asText(v) }))
  parts.push({ name: 'image', file: all.png! })
  if (route.files.includes('mask') && rng.chance(0.5)) parts.push({ name: 'mask', file: all.mask! })
  let boundary = `----fuzz${rng.int(1e9)}`
  let type = `multipart/form-data; boundary=${boundary}`
  let eol = '\r\n'
  const headers: Record<string, string> = {}
  let cut: number | null = null
  if (rng.chance(0.85)) {
    const kind = rng.weighted<string>([
      [6, 'another file'],
      [2, 'a file missing'],
      [3, 'extra files'],
      [2, 'a nasty field'],
      [1, 'many fields'],
      [1, 'a field of 70 KB'],
      [1, 'the image as a text field'],
      [2, 'a mismatched boundary'],
      [1, 'no boundary'],
      [1, 'an odd boundary'],
      [2, 'no closing boundary'],
      [1, 'LF line endings'],
      [1, 'parts without a name'],
      [1, 'a part header of 20 KB'],
      [1, 'garbage before the first boundary'],
      [1, 'a content-encoding'],
      [1, 'a body over the limit'],
      [1, 'an empty body'],
    ])
    notes.push(`form: ${kind}`)
    switch (kind) {
      case 'another file': {
        const name = rng.pick(Object.keys(all))
        const field = rng.pick(route.files)
        notes.push(`${field} = ${name}`)
        const at = parts.findIndex((p) => p.name === field)
        const part: Part = {
          name: field,
          file: all[name]!,
          type: rng.pick(['image/png', 'image/jpeg', 'application/octet-stream', 'text/plain']),
        }
        if (at >= 0) parts[at] = part
        else parts.push(part)
        break
      }
      case 'a file missing':
        for (let i = parts.length - 1; i >= 0; i--)
          if (route.files.includes(parts[i]!.name) && rng.chance(0.7)) parts.splice(i, 1)
        break
      case 'extra files': {
        const extra = rng.between(1, 6)
        const name = rng.pick([...route.files, 'image[]', 'photo', 'mask[]', 'file'])
        notes.push(`${extra} more ${name}`)
        for (let i = 0; i < extra; i++) parts.push({ name, file: rng.chance(0.5) ? all.png! : all.mask! })
        break
      }
      case 'a nasty field': {
        const name = rng.pick(
          Object.keys(schema.properties ?? { n: {} }).filter((n) => !route.files.includes(n)),
        )
        const value = nastyString(rng)
        notes.push(`${name} = ${JSON.stringify(value.slice(0, 40))}`)
        const at = parts.findIndex((p) => p.name === name)
        if (at >= 0) parts[at] = { name, value }
        else parts.unshift({ name, value })
        break
      }
      case 'many fields':
        for (let i = 0; i < 40; i++) parts.unshift({ name: `f${i}`, value: 'x' })
        break
      case 'a field of 70 KB':
        parts.unshift({ name: 'prompt', value: 'p'.repeat(70 * 1024) })
        break
      case 'the image as a text field':
        parts.push({ name: rng.pick(route.files), value: all.png!.toString('latin1') })
        break
      case 'a mismatched boundary':
        type = `multipart/form-data; boundary=${boundary}x`
        break
      case 'no boundary':
        type = rng.pick([
          'multipart/form-data',
          'multipart/form-data; boundary=',
          'multipart/mixed',
          'multipart/form-data; charset=utf-8',
        ])
        break
      case 'an odd boundary':
        boundary = rng.pick(['"quoted"', 'b'.repeat(200), 'a b', '--', 'ü', '\u0000'])
        type = `multipart/form-data; boundary=${boundary.startsWith('"') ? boundary : `"${boundary}"`}`
        boundary = boundary.replace(/"/g, '')
        break
      case 'no closing boundary':
        cut = rng.between(1, 60)
        break
      case 'LF line endings':
        eol = '\n'
        break
      case 'parts without a name':
        return {
          payload: Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--${boundary}\r\nContent-Type: image/png\r\n\r\n${all.png!.toString('latin1')}\r\n--${boundary}--\r\n`,
            'latin1',
          ),
          headers: { 'content-type': type },
        }
      case 'a part header of 20 KB':
        parts.unshift({ name: `n${'h'.repeat(20 * 1024)}`, value: 'x' })
        break
      case 'garbage before the first boundary':
        return {
          payload: Buffer.concat([rng.bytes(rng.between(1, 500)), multipartBody(parts, boundary)]),
          headers: { 'content-type': type },
        }
      case 'a content-encoding':
        headers['content-encoding'] = rng.pick(['gzip', 'deflate', 'br'])
        return {
          payload: rng.chance(0.5) ? gzipSync(multipartBody(parts, boundary)) : rng.bytes(300),
          headers: { ...headers, 'content-type': type },
        }
      case 'a body over the limit':
        return {
          payload: Buffer.concat([multipartBody(parts, boundary).subarray(0, 200), hugeBody()]),
          headers: { 'content-type': type },
        }
      case 'an empty body':
        return { headers: { 'content-type': type } }
    }
  }
  let payload = multipartBody(parts, boundary, eol)
  if (cut !== null) payload = payload.subarray(0, Math.max(0, payload.length - cut - boundary.length))
  return { payload, headers: { ...headers, 'content-type': type } }
}

/** A body for a route that takes none (mostly nothing; sometimes junk of every kind). */
function strayBody(rng: Rng, notes: string[]): Body {
  if (!rng.chance(0.2)) return { headers: {} }
  const kind = rng.pick(['JSON', 'random bytes', 'deep nesting', 'a form'])
  notes.push(`a stray body: ${kind}`)
  switch (kind) {
    case 'JSON':
      return {
        payload: Buffer.from(JSON.stringify(randomJson(rng, 3)) ?? 'null'),
        headers: { 'content-type': 'application/json' },
      }
    case 'random bytes':
      return {
        payload: rng.bytes(rng.between(1, 400)),
        headers: { 'content-type': rng.pick(['application/octet-stream', 'application/json', 'text/plain']) },
      }
    case 'deep nesting':
      return { payload: Buffer.from('['.repeat(7000)), headers: { 'content-type': 'application/json' } }
    default:
      return {
        payload: multipartBody([{ name: 'image', file: fileBytes().png! }], 'stray'),
        headers: { 'content-type': 'multipart/form-data; boundary=stray' },
      }
  }
}

/** Headers a client may add; their values as a Node server sees them (bytes read as latin1). */
function randomHeaders(rng: Rng, notes: string[]): Record<string, string> {
  const headers: Record<string, string> = {}
  const count = rng.weighted([
    [6, 0],
    [3, 1],
    [1, 2],
  ])
  for (let i = 0; i < count; i++) {
    const [name, value] = rng.pick<readonly [string, () => string]>([
      [
        'idempotency-key',
        () =>
          rng.pick(['fuzz-key-1', 'fuzz-key-2', '', ' ', 'k'.repeat(300), latin1(randomUnicode(rng, 10))]),
      ],
      [
        'authorization',
        () =>
          rng.pick([
            'Bearer',
            'Bearer ',
            'Basic Zm9vOmJhcg==',
            `Bearer easel_sk_${'A'.repeat(43)}`,
            `Bearer ${'x'.repeat(9000)}`,
            'bearer x',
            'Bearer a b',
          ]),
      ],
      [
        'cookie',
        () =>
          rng.pick([
            'easel_session=',
            'easel_session=%E0%A4%A',
            `easel_session=${'s'.repeat(5000)}`,
            'a=b; easel_session=x; easel_session=y',
            '=;=;',
            'easel_session="quoted"',
          ]),
      ],
      ['x-csrf-token', () => rng.pick(['', 'nope', 'x'.repeat(3000), latin1('✓')])],
      [
        'accept',
        () =>
          rng.pick(['*/*', 'text/event-stream', 'application/xml', 'image/png', '', 'application/json;q=0']),
      ],
      ['accept-encoding', () => rng.pick(['gzip', 'br', 'identity;q=0', '*;q=0', 'x'])],
      [
        'range',
        () =>
          rng.pick([
            'bytes=0-10',
            'bytes=-1',
            'bytes=99999999-',
            'bytes=5-1',
            'lines=1-2',
            'bytes=0-0,1-1,2-2',
          ]),
      ],
      ['if-none-match', () => rng.pick(['*', '"x"', 'W/"1"'])],
      ['if-modified-since', () => rng.pick(['Thu, 01 Jan 1970 00:00:00 GMT', 'yesterday', ''])],
      ['x-forwarded-for', () => rng.pick(['1.2.3.4', 'garbage', '::1, 10.0.0.1', ''])],
      ['x-http-method-override', () => rng.pick(METHODS)],
      ['origin', () => rng.pick(['https://evil.example', 'null', ''])],
      ['host', () => rng.pick(['evil.example', 'localhost:99999', '[::1', ''])],
      ['content-type', () => rng.pick(['application/json', 'text/plain', 'multipart/form-data', ''])],
      ['transfer-encoding', () => 'identity'],
      ['expect', () => '100-continue'],
    ])
    headers[name] = value()
    notes.push(`header ${name}: ${JSON.stringify(headers[name]!.slice(0, 30))}`)
  }
  return headers
}

/** A string as a Node server reads its UTF-8 bytes in a header (latin1), control characters dropped. */
const latin1 = (s: string) =>
  Buffer.from(s)
    .toString('latin1')
    .split('')
    .filter((ch) => ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) !== 0x7f)
    .join('')

/**
 * Case `index` of the run seeded `seed`: a route picked uniformly (so every route gets its share),
 * its well-formed request, then the departures.
 */
export function fuzzCase(
  seed: number,
  index: number,
  routes: readonly FuzzRoute[],
  world: FuzzWorld,
): FuzzCase {
  const rng = new Rng(caseSeed(seed, index))
  const route = rng.pick(routes)
  const notes: string[] = []
  const identity = rng.weighted(IDENTITIES)

  let method = route.method
  const swap = rng.weighted<string>([
    [85, 'none'],
    [8, 'another method of the path'],
    [5, 'a method nothing takes'],
    [2, 'no method'],
  ])
  if (swap === 'another method of the path') {
    const others = routes.filter((r) => r.url === route.url && r.method !== route.method)
    method = others.length > 0 ? rng.pick(others).method : rng.pick(METHODS)
    notes.push(`method ${method}`)
  } else if (swap === 'a method nothing takes') {
    method = rng.pick(METHODS)
    notes.push(`method ${method}`)
  } else if (swap === 'no method') {
    notes.push('no method (GET)')
    method = 'GET'
  }

  const link =
    route.url.startsWith('/files/') && world.signedLinks.length > 0 && rng.chance(0.7)
      ? rng.pick(world.signedLinks)
      : undefined
  let path = buildPath(rng, route, world, notes)
  if (link && rng.chance(0.6)) path = link.split('?')[0]!
  const query = buildQuery(rng, route, world, notes, link)

  let body: Body
  if (route.multipart && (!route.json || rng.chance(0.5))) body = formBody(rng, route, world, notes)
  else if (route.json) body = jsonBody(rng, route, world, notes)
  else body = strayBody(rng, notes)

  const headers = { ...body.headers, ...randomHeaders(rng, notes) }
  return {
    index,
    route: `${route.method} ${route.url}`,
    identity,
    mutations: notes,
    method,
    url: query ? `${path}?${query}` : path,
    headers,
    ...(body.payload ? { payload: body.payload } : {}),
  }
}

/**
 * A case as it can be read and replayed: what it departs from, and the `inject()` call (the
 * identity's credentials named, not given: they are the run's).
 */
export function describeCase(seed: number, c: FuzzCase): string {
  const payload =
    c.payload === undefined
      ? ''
      : c.payload.length <= 4096
        ? `,\n  payload: Buffer.from('${c.payload.toString('base64')}', 'base64')`
        : `,\n  // ${c.payload.length} bytes, beginning ${JSON.stringify(c.payload.subarray(0, 200).toString('latin1'))}\n  payload: /* regenerate it: FUZZ_SEED=${seed} FUZZ_ONLY=${c.index} */ undefined`
  return [
    `case ${c.index} of seed ${seed} (FUZZ_SEED=${seed} FUZZ_ONLY=${c.index}): ${c.route} as ${c.identity}`,
    `  departures: ${c.mutations.join('; ') || 'none'}`,
    `app.inject({\n  method: ${JSON.stringify(c.method)},\n  url: ${JSON.stringify(c.url.length > 2000 ? `${c.url.slice(0, 2000)}…` : c.url)},\n  headers: { /* ${c.identity} credentials */ ...${JSON.stringify(c.headers, (_, v) => (typeof v === 'string' && v.length > 500 ? `${v.slice(0, 500)}…(${v.length})` : v))} }${payload}\n})`,
  ].join('\n')
}
