import type { InjectOptions } from 'fastify'
import { expect } from 'vitest'
import { SessionBody } from '../../src/contracts/index.ts'
import { Reply } from './api-client.ts'
import type { TestServer } from './server.ts'

/**
 * A browser as the server sees it, driven through `inject()`: a jar of one session cookie, its CSRF
 * token (sent on writes), a client address and a user agent. For suites that check what a browser
 * is told and what the server records of it (sessions list, throttles by address).
 */
export class InjectedBrowser {
  cookie = ''
  csrf = ''

  constructor(
    private readonly t: { readonly current: TestServer },
    readonly address = '127.0.0.1',
    readonly userAgent?: string,
  ) {}

  async call(
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    const res = await this.t.current.server.app.inject({
      method,
      url,
      remoteAddress: this.address,
      headers: {
        ...(this.userAgent ? { 'user-agent': this.userAgent } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.csrf && method !== 'GET' ? { 'x-csrf-token': this.csrf } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
    })
    const set = res.cookies.find((c) => c.name === 'easel_session')
    if (set) this.cookie = set.value ? `easel_session=${set.value}` : ''
    const reply = Reply.injected(res)
    const session = SessionBody.safeParse(reply.body)
    if (session.success) this.csrf = session.data.csrfToken
    return reply
  }

  async signIn(who: { email: string; password: string }): Promise<this> {
    const res = await this.call('POST', '/api/session', { email: who.email, password: who.password })
    expect(res.status, res.text).toBe(200)
    return this
  }

  /** The session cookie's token, as the server hashes it. */
  get token(): string {
    return this.cookie.slice('easel_session='.length)
  }
}
