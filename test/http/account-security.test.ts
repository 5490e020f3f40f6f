import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { sessionId } from '../../src/accounts/sessions.ts'
import {
  EmailChangePendingBody,
  EmailConfirmedBody,
  MeBody,
  PASSWORD_RESET_ACCEPTED_MESSAGE,
  PasswordChangedBody,
  PasswordResetAccepted,
  SessionsBody,
} from '../../src/contracts/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import type { Reply } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import { InjectedBrowser } from '../support/injected-browser.ts'
import { MailRecorder } from '../support/mail-recorder.ts'
import { type TestServer, type TestUser, useTestServer } from '../support/server.ts'

// Issue 11 through HTTP on every backend: password reset by mail (the same answer for known and
// unknown addresses; the link single-use, hourly, replaced by a newer one; using it ends every
// session), the signed-in person's password, email and sessions, and that none of it reaches
// another account.

const HOUR = 3_600_000
const PASSWORD = 'correct horse battery'
const NEW_PASSWORD = 'a brand new passphrase'
const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36'

const email = (name = 'user') => `${name}-${randomBytes(5).toString('hex')}@example.test`
/** An address of its own per request: the per-address reset limit is tested at the service. */
const someAddress = () => `192.0.2.${1 + (randomBytes(1)[0]! % 250)}`

/** A browser as the server sees it, a Chrome on a desktop unless told otherwise. */
class Client extends InjectedBrowser {
  constructor(t: { readonly current: TestServer }, address = '127.0.0.1', userAgent = CHROME) {
    super(t, address, userAgent)
  }
}

describe.each(BACKENDS)('account security over HTTP (%s)', (backend) => {
  const clock = new ManualClock(Date.now())
  const recorder = new MailRecorder()
  const t = useTestServer(backend, { clock, mailTransport: recorder })

  const anonymous = (address = someAddress()) => new Client(t, address)
  const db = () => t.current.server.services.db.kysely

  /** The mails queued to `to`, oldest first. */
  const mails = async (to: string) => {
    await t.current.server.services.mail.drain()
    return recorder
      .to(to)
      .map((m) => ({ kind: m.kind, to_address: m.to, subject: m.subject, text_body: m.text }))
  }

  /** The token of the first link to `path` in a mail's text, and the link. */
  function linkIn(text: string, path: string): { link: string; token: string } {
    const m = new RegExp(`(\\S+${path}\\?token=([A-Za-z0-9_-]+))`).exec(text)
    if (!m) throw new Error(`no ${path} link in: ${text}`)
    return { link: m[1]!, token: m[2]! }
  }

  async function resetToken(to: string): Promise<string> {
    const all = await mails(to)
    const last = all.filter((m) => m.kind === 'password-reset').at(-1)
    if (!last) throw new Error(`no reset mail to ${to}`)
    return linkIn(last.text_body, '/reset-password').token
  }

  const requestReset = (address: string, headers: Record<string, string> = {}) =>
    anonymous().call('POST', '/api/password-reset', { email: address }, headers)

  describe('password reset', () => {
    it('answers a known and an unknown address with the same status, body and headers; only the known one is mailed', async () => {
      const user = await t.current.user()
      const unknown = email('nobody')
      const known = await requestReset(user.email)
      const other = await requestReset(unknown)

      expect(known.status).toBe(202)
      expect(other.status).toBe(known.status)
      expect(other.text).toBe(known.text)
      expect(known.as(PasswordResetAccepted)).toEqual({ message: PASSWORD_RESET_ACCEPTED_MESSAGE })
      const varying = new Set(['date', 'x-request-id', 'x-ratelimit-remaining', 'x-ratelimit-reset'])
      const shown = (r: Reply) =>
        [...r.headers.keys()].filter((k) => !varying.has(k)).map((k) => [k, r.headers.get(k)])
      expect(shown(other)).toEqual(shown(known))

      expect(await mails(unknown)).toEqual([])
      const [mail, ...more] = await mails(user.email)
      expect(more).toEqual([])
      expect(mail).toMatchObject({ kind: 'password-reset', to_address: user.email })
      // The link is on the address the server was reached at (no EASEL_PUBLIC_URL here).
      const { link, token } = linkIn(mail!.text_body, '/reset-password')
      expect(link).toBe(`${t.current.url}/reset-password?token=${token}`)
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    })

    it('builds the link on the server’s own address, never on a Host header the client sent', async () => {
      const user = await t.current.user()
      const res = await requestReset(user.email, {
        host: 'attacker.example',
        'x-forwarded-host': 'attacker.example',
      })
      expect(res.status).toBe(202)
      const [mail] = await mails(user.email)
      expect(mail!.text_body).not.toContain('attacker.example')
      expect(linkIn(mail!.text_body, '/reset-password').link.startsWith(`${t.current.url}/`)).toBe(true)
    })

    it('the link sets the password, signs out every session, and works once; a bad token is a 400 that changes nothing', async () => {
      const user = await t.current.user()
      const laptop = await new Client(t).signIn(user)
      const phone = await new Client(t).signIn(user)
      expect((await requestReset(user.email)).status).toBe(202)
      const token = await resetToken(user.email)

      for (const bad of ['x', 'A'.repeat(43), "' OR '1'='1"]) {
        const refused = await anonymous().call('POST', '/api/password-reset/confirm', {
          token: bad,
          password: NEW_PASSWORD,
        })
        expect(refused.status).toBe(400)
        expect(refused.error).toMatchObject({ code: 'VALIDATION', field: 'token', reason: 'TOKEN_INVALID' })
      }
      const weak = await anonymous().call('POST', '/api/password-reset/confirm', { token, password: 'short' })
      expect(weak.status).toBe(400)
      expect(weak.error).toMatchObject({ code: 'VALIDATION', field: 'password' })
      expect((await laptop.call('GET', '/api/me')).status).toBe(200)

      const done = await anonymous().call('POST', '/api/password-reset/confirm', {
        token,
        password: NEW_PASSWORD,
      })
      expect(done.status, done.text).toBe(204)
      expect((await laptop.call('GET', '/api/me')).status).toBe(401)
      expect((await phone.call('GET', '/api/me')).status).toBe(401)
      const old = await anonymous().call('POST', '/api/session', { email: user.email, password: PASSWORD })
      expect(old.status).toBe(401)
      await new Client(t).signIn({ email: user.email, password: NEW_PASSWORD })

      const again = await anonymous().call('POST', '/api/password-reset/confirm', {
        token,
        password: 'yet another passphrase',
      })
      expect(again.status).toBe(400)
      expect(again.error.message).toMatch(/^token: this password reset link is not valid/)
      await new Client(t).signIn({ email: user.email, password: NEW_PASSWORD })
    })

    it('a link expires after an hour, and a newer one replaces it', async () => {
      const user = await t.current.user()
      await requestReset(user.email)
      const first = await resetToken(user.email)
      await requestReset(user.email)
      const second = await resetToken(user.email)
      const replaced = await anonymous().call('POST', '/api/password-reset/confirm', {
        token: first,
        password: NEW_PASSWORD,
      })
      expect(replaced.status).toBe(400)

      clock.advance(HOUR)
      const late = await anonymous().call('POST', '/api/password-reset/confirm', {
        token: second,
        password: NEW_PASSWORD,
      })
      expect(late.status).toBe(400)
      expect(late.error.field).toBe('token')
      await new Client(t).signIn(user)
    })

    it('a disabled user is answered alike and mailed nothing', async () => {
      const user = await t.current.user()
      const { accounts } = t.current.server.services
      expect((await accounts.updateUser(user.user.id, { disabled: true })).ok).toBe(true)
      const res = await requestReset(user.email)
      expect(res.status).toBe(202)
      expect(res.as(PasswordResetAccepted).message).toBe(PASSWORD_RESET_ACCEPTED_MESSAGE)
      expect(await mails(user.email)).toEqual([])
    })

    it('past three requests an hour for one email, 429 with retry-after, for known and unknown emails alike', async () => {
      const user = await t.current.user()
      const unknown = email('nobody')
      const answers: Array<[number, string]> = []
      for (const target of [user.email, unknown]) {
        for (let i = 0; i < 3; i++) expect((await requestReset(target)).status).toBe(202)
        const refused = await requestReset(target)
        expect(refused.headers.get('retry-after')).toBe('3600')
        answers.push([refused.status, refused.text])
      }
      expect(answers[0]![0]).toBe(429)
      expect(answers[1]).toEqual(answers[0])
    })
  })

  describe('a signed-in person’s password', () => {
    it('needs the current password; the new one is checked by the rule; other sessions end, this one stays', async () => {
      const user = await t.current.user()
      const here = await new Client(t).signIn(user)
      const elsewhere = await new Client(t).signIn(user)

      const wrong = await here.call('POST', '/api/account/password', {
        currentPassword: 'not my password',
        newPassword: NEW_PASSWORD,
      })
      expect(wrong.status).toBe(400)
      expect(wrong.error).toMatchObject({
        code: 'VALIDATION',
        field: 'currentPassword',
        message: 'currentPassword: is not your current password',
      })
      const weak = await here.call('POST', '/api/account/password', {
        currentPassword: PASSWORD,
        newPassword: 'aaaaaaaaaaaa',
      })
      expect(weak.status).toBe(400)
      expect(weak.error).toMatchObject({
        field: 'newPassword',
        message: 'newPassword: must not be one character repeated',
      })
      expect((await elsewhere.call('GET', '/api/me')).status).toBe(200)

      const changed = await here.call('POST', '/api/account/password', {
        currentPassword: PASSWORD,
        newPassword: NEW_PASSWORD,
      })
      expect(changed.status, changed.text).toBe(200)
      expect(changed.as(PasswordChangedBody)).toEqual({ otherSessionsEnded: 1 })
      expect((await here.call('GET', '/api/me')).status).toBe(200)
      expect((await elsewhere.call('GET', '/api/me')).status).toBe(401)
      expect(
        (await anonymous().call('POST', '/api/session', { email: user.email, password: PASSWORD })).status,
      ).toBe(401)
      await new Client(t).signIn({ email: user.email, password: NEW_PASSWORD })
    })

    it('is refused to an API key, to a cookie without its CSRF token, and to nobody', async () => {
      const user = await t.current.user()
      const body = { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }
      const byKey = await anonymous().call('POST', '/api/account/password', body, {
        authorization: `Bearer ${user.apiKey}`,
      })
      expect(byKey.status).toBe(403)
      expect(byKey.error.message).toMatch(/API keys cannot change/)
      const session = await new Client(t).signIn(user)
      const noCsrf = await anonymous().call('POST', '/api/account/password', body, { cookie: session.cookie })
      expect(noCsrf.status).toBe(403)
      expect(noCsrf.error.code).toBe('CSRF')
      expect((await anonymous().call('POST', '/api/account/password', body)).status).toBe(401)
      await new Client(t).signIn(user)
    })
  })

  describe('a signed-in person’s email', () => {
    it('changes only once the new address confirms; the old address is told twice; the link works once', async () => {
      const user = await t.current.user()
      const here = await new Client(t).signIn(user)
      const next = email('new')

      const wrong = await here.call('POST', '/api/account/email', {
        email: next,
        password: 'not my password',
      })
      expect(wrong.status).toBe(400)
      expect(wrong.error.field).toBe('password')
      const same = await here.call('POST', '/api/account/email', {
        email: user.email.toUpperCase(),
        password: PASSWORD,
      })
      expect(same.status).toBe(400)
      expect(same.error.message).toBe('email: is already your email')
      expect(await mails(next)).toEqual([])

      const asked = await here.call('POST', '/api/account/email', {
        email: next.toUpperCase(),
        password: PASSWORD,
      })
      expect(asked.status, asked.text).toBe(202)
      expect(asked.as(EmailChangePendingBody)).toEqual({ pendingEmail: next })
      expect((await here.call('GET', '/api/me')).as(MeBody).user.email).toBe(user.email)
      const [confirm] = await mails(next)
      expect(confirm).toMatchObject({ kind: 'change-email', to_address: next })
      const { link, token } = linkIn(confirm!.text_body, '/confirm-email')
      expect(link).toBe(`${t.current.url}/confirm-email?token=${token}`)
      const [notice] = await mails(user.email)
      expect(notice).toMatchObject({ kind: 'email-change-requested', to_address: user.email })
      expect(notice!.text_body).toContain(next)

      // Confirmed from anywhere (the mail may be read on a phone): the link is the proof.
      const confirmed = await anonymous().call('POST', '/api/account/email/confirm', { token })
      expect(confirmed.status, confirmed.text).toBe(200)
      expect(confirmed.as(EmailConfirmedBody)).toEqual({ email: next })
      expect((await here.call('GET', '/api/me')).as(MeBody).user.email).toBe(next)
      expect((await mails(user.email)).map((m) => m.kind)).toEqual([
        'email-change-requested',
        'email-changed',
      ])
      await new Client(t).signIn({ email: next, password: PASSWORD })
      expect(
        (await anonymous().call('POST', '/api/session', { email: user.email, password: PASSWORD })).status,
      ).toBe(401)
      const verified = await db()
        .selectFrom('users')
        .select('email_verified_at')
        .where('id', '=', user.user.id)
        .executeTakeFirstOrThrow()
      expect(verified.email_verified_at).toBe(clock.now())

      const again = await anonymous().call('POST', '/api/account/email/confirm', { token })
      expect(again.status).toBe(400)
      expect(again.error).toMatchObject({ field: 'token', reason: 'TOKEN_INVALID' })
    })

    it('an address taken before the link is opened is refused then (409), and nothing changes', async () => {
      const user = await t.current.user()
      const here = await new Client(t).signIn(user)
      const next = email('contested')
      expect(
        (await here.call('POST', '/api/account/email', { email: next, password: PASSWORD })).status,
      ).toBe(202)
      const { token } = linkIn((await mails(next))[0]!.text_body, '/confirm-email')
      const { accounts } = t.current.server.services
      expect((await accounts.createUser({ email: next, password: PASSWORD })).ok).toBe(true)

      const refused = await anonymous().call('POST', '/api/account/email/confirm', { token })
      expect(refused.status).toBe(409)
      expect(refused.error).toMatchObject({ code: 'CONFLICT', reason: 'EMAIL_TAKEN' })
      expect((await here.call('GET', '/api/me')).as(MeBody).user.email).toBe(user.email)
      expect((await mails(user.email)).map((m) => m.kind)).toEqual(['email-change-requested'])
    })

    it('a newer request replaces the earlier link, and a reset link mailed to the old address dies with it', async () => {
      const user = await t.current.user()
      const here = await new Client(t).signIn(user)
      const first = email('first')
      const second = email('second')
      await here.call('POST', '/api/account/email', { email: first, password: PASSWORD })
      await here.call('POST', '/api/account/email', { email: second, password: PASSWORD })
      const firstToken = linkIn((await mails(first))[0]!.text_body, '/confirm-email').token
      const secondToken = linkIn((await mails(second))[0]!.text_body, '/confirm-email').token
      expect(
        (await anonymous().call('POST', '/api/account/email/confirm', { token: firstToken })).status,
      ).toBe(400)

      await requestReset(user.email)
      const reset = await resetToken(user.email)
      expect(
        (await anonymous().call('POST', '/api/account/email/confirm', { token: secondToken })).status,
      ).toBe(200)
      const stale = await anonymous().call('POST', '/api/password-reset/confirm', {
        token: reset,
        password: NEW_PASSWORD,
      })
      expect(stale.status).toBe(400)
    })
  })

  describe('a signed-in person’s sessions', () => {
    it('lists them with browser, address and last use, marking the current one, by ids that are not the cookie’s hash', async () => {
      const user = await t.current.user()
      const laptop = await new Client(t, '203.0.113.20', CHROME).signIn(user)
      const phone = await new Client(t, '2001:db8::20', 'Mobile Safari').signIn(user)

      const listed = (await laptop.call('GET', '/api/account/sessions')).as(SessionsBody).sessions
      expect(listed).toHaveLength(2)
      expect(listed[0]).toMatchObject({ current: true, userAgent: CHROME, address: '203.0.113.20' })
      expect(listed[1]).toMatchObject({ current: false, userAgent: 'Mobile Safari', address: '2001:db8::20' })
      for (const s of listed) {
        expect(s.id).toMatch(/^sess_[0-9a-z]{26}$/)
        expect(s.lastSeenAt).toBeGreaterThanOrEqual(s.createdAt)
      }
      const text = JSON.stringify(listed)
      for (const c of [laptop, phone]) {
        expect(text).not.toContain(c.token)
        expect(text).not.toContain(sessionId(c.token))
      }
      const fromPhone = (await phone.call('GET', '/api/account/sessions')).as(SessionsBody).sessions
      expect(fromPhone.map((s) => [s.id, s.current])).toEqual([
        [listed[1]!.id, true],
        [listed[0]!.id, false],
      ])
    })

    it('ends one (the phone is signed out, the laptop is not), and the current one with its cookie', async () => {
      const user = await t.current.user()
      const laptop = await new Client(t).signIn(user)
      const phone = await new Client(t).signIn(user)
      const [mine, theirs] = (await laptop.call('GET', '/api/account/sessions')).as(SessionsBody).sessions
      const ended = await laptop.call('DELETE', `/api/account/sessions/${theirs!.id}`)
      expect(ended.status, ended.text).toBe(204)
      expect((await phone.call('GET', '/api/me')).status).toBe(401)
      expect((await laptop.call('GET', '/api/me')).status).toBe(200)
      expect((await laptop.call('DELETE', `/api/account/sessions/${theirs!.id}`)).status).toBe(404)

      const own = await laptop.call('DELETE', `/api/account/sessions/${mine!.id}`)
      expect(own.status).toBe(204)
      expect(own.headers.get('set-cookie')).toMatch(/easel_session=;/)
      expect((await laptop.call('GET', '/api/me')).status).toBe(401)
    })

    it('signs out everywhere, this session included', async () => {
      const user = await t.current.user()
      const other = await t.current.user()
      const clients = [
        await new Client(t).signIn(user),
        await new Client(t).signIn(user),
        await new Client(t).signIn(user),
      ]
      const bystander = await new Client(t).signIn(other)
      const res = await clients[0]!.call('POST', '/api/account/sessions/sign-out-everywhere')
      expect(res.status, res.text).toBe(204)
      for (const c of clients) expect((await c.call('GET', '/api/me')).status).toBe(401)
      expect((await bystander.call('GET', '/api/me')).status).toBe(200)
      // The API key still works: keys are not sessions (revoke them on the keys page).
      const me = await anonymous().call('GET', '/api/me', undefined, {
        authorization: `Bearer ${user.apiKey}`,
      })
      expect(me.status).toBe(200)
    })
  })

  it('isolation: another user’s session is not found, and tokens act on their own account only', async () => {
    const alice = await t.current.user()
    const bob = await t.current.user()
    const asAlice = await new Client(t).signIn(alice)
    const asBob = await new Client(t).signIn(bob)
    const bobs = (await asBob.call('GET', '/api/account/sessions')).as(SessionsBody).sessions
    const aliceSees = (await asAlice.call('GET', '/api/account/sessions')).as(SessionsBody).sessions
    expect(aliceSees.map((s) => s.id)).not.toContain(bobs[0]!.id)

    const ending = await asAlice.call('DELETE', `/api/account/sessions/${bobs[0]!.id}`)
    expect(ending.status).toBe(404)
    expect(ending.error.code).toBe('NOT_FOUND')
    expect((await asBob.call('GET', '/api/me')).status).toBe(200)

    // Bob, signed in, opening Alice's confirmation link changes Alice's email, not his.
    const next = email('alice-new')
    await asAlice.call('POST', '/api/account/email', { email: next, password: PASSWORD })
    const { token } = linkIn((await mails(next))[0]!.text_body, '/confirm-email')
    expect((await asBob.call('POST', '/api/account/email/confirm', { token })).status).toBe(200)
    expect((await asBob.call('GET', '/api/me')).as(MeBody).user.email).toBe(bob.email)
    expect((await asAlice.call('GET', '/api/me')).as(MeBody).user.email).toBe(next)

    // Alice's password change leaves Bob's sessions alone.
    const changed = await asAlice.call('POST', '/api/account/password', {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    })
    expect(changed.as(PasswordChangedBody)).toEqual({ otherSessionsEnded: 0 })
    expect((await asBob.call('GET', '/api/me')).status).toBe(200)
  })
})

describe.each(BACKENDS)('mailed links with EASEL_PUBLIC_URL (%s)', (backend) => {
  const recorder = new MailRecorder()
  const t = useTestServer(backend, {
    env: { EASEL_PUBLIC_URL: 'https://easel.example/studio/' },
    mailTransport: recorder,
  })

  it('are built on the public URL, under its path', async () => {
    const user: TestUser = await t.current.user()
    const res = await t.current.server.app.inject({
      method: 'POST',
      url: '/api/password-reset',
      payload: { email: user.email },
    })
    expect(res.statusCode).toBe(202)
    await t.current.server.services.mail.drain()
    const [mail] = recorder.to(user.email)
    expect(mail!.text).toMatch(/https:\/\/easel\.example\/studio\/reset-password\?token=[A-Za-z0-9_-]{43}/)
  })
})
