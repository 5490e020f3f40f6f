import type { InjectOptions } from 'fastify'
import { expect } from 'vitest'
import type { TestServer, TestUser } from '../../support/server.ts'

/*
 * The bad-input sweep's vocabulary: how a case is written (a `Refusal`: a request built from a fresh
 * caller and the suite's fixtures, and what its refusal must look like), how a request is sent and as
 * whom, and the valid requests that each bad one departs from in one way. The runner is sweep.ts.
 */

// ── Fixtures ─────────────────────────────────────────────────────────────────────────────────────

export interface Session {
  cookie: string
  csrf: string
}

export interface Subject {
  user: TestUser
  /** A signed-in browser session of the subject (made on first use). */
  session(): Promise<Session>
}

export interface Fixtures {
  admin: TestUser
  other: TestUser
  otherJobId: string
  /** The other account's favourite image, and one that is not a favourite. */
  otherFavouriteId: string
  otherPlainId: string
  /** A working signed link to `otherFavouriteId`. */
  link: { file: string; expires: number; signature: string }
  otherKeyId: string
}

export interface Ctx {
  me: Subject
  f: Fixtures
  t: TestServer
}

export type Build = (c: Ctx) => InjectOptions | Promise<InjectOptions>

export interface Refusal {
  name: string
  request: Build
  /** The status a correct server answers with (one of them, where two are defensible). */
  status: number | readonly number[]
  /** What the message must say. */
  message: RegExp
  /** The error code: OpenAI's `code` under /v1, ours elsewhere. */
  code?: string
  /** Under /v1: the `param` the error must name. */
  param?: string | null
}

// ── Requests ─────────────────────────────────────────────────────────────────────────────────────

export type As = 'me' | 'admin' | 'nobody' | 'session' | 'cookie-without-csrf'

export interface Send {
  method: InjectOptions['method']
  url: string
  /** Sent as JSON. */
  body?: unknown
  /** Sent as it is, with `type` (default application/json). */
  raw?: string | Buffer
  type?: string
  headers?: Record<string, string>
  as?: As
}

export const bearer = (u: TestUser) => ({ authorization: `Bearer ${u.apiKey}` })

async function credentials(as: As, c: Ctx): Promise<Record<string, string>> {
  switch (as) {
    case 'me':
      return bearer(c.me.user)
    case 'admin':
      return bearer(c.f.admin)
    case 'nobody':
      return {}
    case 'session': {
      const s = await c.me.session()
      return { cookie: s.cookie, 'x-csrf-token': s.csrf }
    }
    case 'cookie-without-csrf':
      return { cookie: (await c.me.session()).cookie }
  }
}

export function send(s: Send): Build {
  return async (c) => {
    const headers: Record<string, string> = { ...(await credentials(s.as ?? 'me', c)) }
    let payload: string | Buffer | undefined
    if (s.raw !== undefined) {
      payload = s.raw
      headers['content-type'] = s.type ?? 'application/json'
    } else if (s.body !== undefined) {
      payload = JSON.stringify(s.body)
      headers['content-type'] = s.type ?? 'application/json'
    }
    return {
      method: s.method,
      url: s.url,
      headers: { ...headers, ...s.headers },
      ...(payload === undefined ? {} : { payload }),
    }
  }
}

export const post = (url: string, body: unknown, extra: Omit<Send, 'method' | 'url' | 'body'> = {}) =>
  send({ method: 'POST', url, body, ...extra })
export const get = (url: string, extra: Omit<Send, 'method' | 'url'> = {}) =>
  send({ method: 'GET', url, ...extra })

export async function signIn(t: TestServer, user: TestUser): Promise<Session> {
  const res = await t.server.app.inject({
    method: 'POST',
    url: '/api/session',
    payload: { email: user.email, password: user.password },
  })
  expect(res.statusCode, res.body).toBe(200)
  const cookie = res.cookies.find((c) => c.name === 'easel_session')
  if (!cookie) throw new Error('sign-in set no session cookie')
  return { cookie: `easel_session=${cookie.value}`, csrf: res.json().csrfToken }
}

// ── The routes' valid requests, which each bad one departs from in one way ────────────────────────

export const GEN = { prompt: 'a lighthouse at dusk', n: 1, size: '256x256' }
export const JOB = { kind: 'generate', prompt: 'a lighthouse at dusk', n: 1, size: '256x256' }
export const CARD = { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2099, cvc: '123' }
export const PURCHASE = { packId: 'pack-115', quantity: 1, card: CARD }
/** A change of password or email as the subject would send it (test users' password is this one). */
export const CHANGE_PASSWORD = {
  currentPassword: 'correct horse battery',
  newPassword: 'a brand new passphrase',
}
export const CHANGE_EMAIL = { email: 'moving@example.test', password: 'correct horse battery' }
/** A well-formed mailed-link token (43 base64url characters) that names nothing. */
export const UNKNOWN_TOKEN = 'A'.repeat(43)
export const ID_TAIL = '01jd3q8z6x4c9m2k7w5e0t1r8b' // well-formed, names nothing

/** Strings that are not ids, whatever the route expects (raw: encode them for a path). */
export const NOT_IDS = [
  ['a wrong prefix', (prefix: string) => `${prefix === 'job' ? 'img' : 'job'}_${ID_TAIL}`],
  ['an SQL-looking string', () => "1' OR '1'='1' --"],
  ['a path traversal', () => '../../etc/passwd'],
  ['unicode', (prefix: string) => `${prefix}_ünïcødé✓🙂`],
  ['an id 4 000 characters long', (prefix: string) => `${prefix}_${'a'.repeat(4000)}`],
] as const

/** A not-an-id in a path: percent-encoded, so that it reaches the route as one segment. */
export const inPath = (id: string) => encodeURIComponent(id)

/**
 * How refusing a not-an-id in a path must look: the route's "must be a job_… id", or, for an id too
 * long for the router to match (over Fastify's maxParamLength), a 400/404/414 that says so.
 */
export function pathIdRefusal(what: string, prefix: string): Pick<Refusal, 'status' | 'message'> {
  const mustBe = `id: must be a ${prefix}_… id`
  return what === 'an id 4 000 characters long'
    ? { status: [400, 404, 414], message: new RegExp(`${mustBe}|too long|length|no route`, 'i') }
    : { status: 400, message: new RegExp(mustBe) }
}

/** limit below, at 0, above the maximum, huge, not a number, fractional, repeated; and a cursor too long. */
export function pagination(path: string, max: number, cursor = 'before'): Refusal[] {
  return [
    ['-1', /limit: /],
    ['0', /limit: /],
    [String(max + 1), /limit: /],
    ['1000000000000', /limit: /],
    ['ten', /limit: /],
    ['1.5', /limit: /],
    ['1&limit=2', /limit: /],
  ]
    .map(
      ([limit, message]): Refusal => ({
        name: `GET ${path} with limit=${limit}`,
        request: get(`${path}?limit=${limit}`, { as: path.startsWith('/api/admin') ? 'admin' : 'me' }),
        status: 400,
        message: message as RegExp,
      }),
    )
    .concat({
      name: `GET ${path} with a ${cursor} cursor of 61 characters`,
      request: get(`${path}?${cursor}=${'x'.repeat(61)}`, {
        as: path.startsWith('/api/admin') ? 'admin' : 'me',
      }),
      status: 400,
      message: new RegExp(`${cursor}: `),
    })
}
