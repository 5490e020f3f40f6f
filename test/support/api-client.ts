import type { LightMyRequestResponse } from 'fastify'
import { z } from 'zod'
import { ErrorBody, OpenAiErrorBody } from '../../src/contracts/index.ts'
import { parseAs } from './contracts.ts'

/**
 * A response as the tests hold it: its status and headers, and a body that is read only through a
 * contract schema (`reply.as(JobBody)`, `reply.error`), so a test cannot read a field the API
 * does not promise, and every body it reads is checked against the contract.
 */
export class Reply {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    /** The parsed JSON body; null when there is none (204) or it is not JSON (an image). */
    readonly body: unknown,
    /** The body as text. */
    readonly text: string,
  ) {}

  /** The body as the contract's `schema` says it is; the test fails if it is not. */
  as<S extends z.ZodType>(schema: S): z.output<S> {
    return parseAs(schema, this.body)
  }

  /** The `error` of a native API refusal. */
  get error(): ErrorBody['error'] {
    return this.as(ErrorBody).error
  }

  /** The `error` of a /v1 refusal, in OpenAI's shape. */
  get openAiError(): OpenAiErrorBody['error'] {
    return this.as(OpenAiErrorBody).error
  }

  static async of(response: Response): Promise<Reply> {
    const text = await response.text()
    return new Reply(response.status, response.headers, jsonOf(text, response.headers), text)
  }

  static injected(response: LightMyRequestResponse): Reply {
    const headers = new Headers()
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : String(value))
    }
    return new Reply(response.statusCode, headers, jsonOf(response.body, headers), response.body)
  }
}

const jsonOf = (text: string, headers: Headers): unknown =>
  text && headers.get('content-type')?.includes('json') ? JSON.parse(text) : null

export type Call = (
  method: string,
  url: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<Reply>

/** Calls the API at `base` with an API key, JSON bodies. */
export function keyed(base: string, apiKey: string): Call {
  return async (method, url, body, headers = {}) =>
    Reply.of(
      await fetch(`${base}${url}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      }),
    )
}

/** Sign-in, sign-up, set-up and /api/me answer with the session's CSRF token. */
const CarriesCsrfToken = z.object({ csrfToken: z.string() })

/** A browser-like client: keeps the session cookie and sends the CSRF token on writes. */
export class Browser {
  cookie = ''
  csrf = ''
  constructor(readonly base: string) {}

  readonly call: Call = async (method, url, body, headers = {}) => {
    const reply = await Reply.of(
      await fetch(`${this.base}${url}`, {
        method,
        headers: {
          ...(this.cookie ? { cookie: this.cookie } : {}),
          ...(this.csrf && method !== 'GET' ? { 'x-csrf-token': this.csrf } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      }),
    )
    const setCookie = reply.headers.get('set-cookie')
    if (setCookie) this.cookie = setCookie.split(';')[0]!
    const session = CarriesCsrfToken.safeParse(reply.body)
    if (session.success) this.csrf = session.data.csrfToken
    return reply
  }
}
