import { randomBytes } from 'node:crypto'
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AdminSignUpBody,
  CohortClosedBody,
  CreditsBody,
  EmailVerifiedBody,
  MeBody,
  PurchaseBody,
  SessionBody,
  SetupBody,
  SIGNUP_ACCEPTED_MESSAGE,
  SignupAccepted,
  type UserBody,
  VerificationSentBody,
} from '../../src/contracts/index.ts'
import { Reply } from '../support/api-client.ts'
import { BACKENDS } from '../support/backends.ts'
import { InjectedBrowser } from '../support/injected-browser.ts'
import { type TestServer, useTestServer } from '../support/server.ts'
import { type ReceivedMail, startSmtpServer, type TestSmtpServer } from '../support/smtp.ts'

// Issue 11 over HTTP on every backend: with mail on, sign-up answers 202 with the same body and
// headers (no session) for a new, a known and a disabled address; the mails arrive at a real SMTP
// server; free credits wait for the verification link, which signs nobody in and works once; a
// purchase or a grant before it works; the link is sent again on request, 3 an hour. The admin sees
// whether free credits are protected, and closes the beta in one action. Mail off, sign-up is as
// it was (201, signed in, 65 credits for the beta): see native-api and signup-limit.

const PASSWORD = 'correct horse battery'
const PUBLIC_URL = 'https://easel.example.test'
const CARD = { number: '4242 4242 4242 4242', expMonth: 12, expYear: 2099, cvc: '123' }

const email = (name = 'user') => `${name}-${randomBytes(5).toString('hex')}@example.test`
/** An address of its own per client: the per-address sign-up limit is tested in signup-limit. */
const someAddress = () => `192.0.2.${1 + (randomBytes(1)[0]! % 250)}`

/** A browser as the server sees it, from an address of its own. */
class Client extends InjectedBrowser {
  constructor(t: { readonly current: TestServer }, address = someAddress()) {
    super(t, address)
  }
}

describe.each(BACKENDS)('sign-up with mail on (%s)', (backend) => {
  let smtp: TestSmtpServer
  beforeAll(async () => {
    smtp = await startSmtpServer()
  })
  afterAll(async () => {
    await smtp?.close()
  })
  const t = useTestServer(backend, {
    env: {
      // Read when the server starts, after beforeAll above has started the SMTP server.
      get EASEL_SMTP_URL() {
        return smtp.url
      },
      EASEL_MAIL_FROM: 'Easel <easel@example.test>',
      EASEL_PUBLIC_URL: PUBLIC_URL,
      EASEL_TEST_CHECKOUT: 'on',
    } as Record<string, string>,
  })

  const signUp = (to: string, extra: Record<string, unknown> = {}, client = new Client(t)) =>
    client.call('POST', '/api/signup', { email: to, password: PASSWORD, ...extra })

  /** The mail of `subject` to `to`, as the SMTP server received it. */
  const mailTo = (to: string, subject: RegExp): Promise<ReceivedMail> =>
    smtp.waitFor((m) => m.envelope.to.includes(to) && subject.test(m.subject), 15_000)

  /** The token of the verification link in a mail (built on the public URL). */
  function tokenIn(text: string): string {
    const m = /https:\/\/easel\.example\.test\/verify-email\?token=([A-Za-z0-9_-]{43})/.exec(text)
    if (!m) throw new Error(`no verification link in: ${text}`)
    return m[1]!
  }

  /**
   * The tokens of the first `count` verification links that reached `to`, in the order they were
   * queued (the Message-ID is made from the outbox id, which sorts by time). Sent mails' bodies are
   * cleared from the outbox, so they are read from the SMTP server.
   */
  async function linksTo(to: string, count = 1): Promise<string[]> {
    const isLink = (m: ReceivedMail) => m.envelope.to.includes(to) && /verify your email/i.test(m.subject)
    await smtp.waitFor((m) => isLink(m) && smtp.messages.filter(isLink).length >= count, 15_000)
    return smtp.messages
      .filter(isLink)
      .sort((a, b) => a.messageId.localeCompare(b.messageId))
      .map((m) => tokenIn(m.text))
  }

  it('answers a new, a known and a disabled address with the same status, body and headers, and signs nobody in', async () => {
    const known = await t.current.user()
    const disabled = await t.current.user()
    await t.current.server.services.accounts.updateUser(disabled.user.id, { disabled: true })
    const fresh = email('fresh')
    const replies = [await signUp(fresh), await signUp(known.email), await signUp(disabled.email)]
    const varying = new Set(['date', 'x-request-id', 'x-ratelimit-remaining', 'x-ratelimit-reset'])
    const shown = (r: Reply) =>
      [...r.headers.keys()].filter((k) => !varying.has(k)).map((k) => [k, r.headers.get(k)])
    for (const r of replies) {
      expect(r.status, r.text).toBe(202)
      expect(r.text).toBe(replies[0]!.text)
      expect(shown(r)).toEqual(shown(replies[0]!))
      expect(r.headers.get('set-cookie')).toBeNull()
    }
    expect(replies[0]!.as(SignupAccepted)).toEqual({ message: SIGNUP_ACCEPTED_MESSAGE })

    // What arrives: a link for the new address, a notice for the known one, nothing for the disabled.
    const link = await mailTo(fresh, /verify your email/i)
    expect(link.from).toContain('easel@example.test')
    expect(link.text).toContain(`${PUBLIC_URL}/verify-email?token=`)
    const notice = await mailTo(known.email, /tried to sign up/i)
    expect(notice.text).toContain(`${PUBLIC_URL}/forgot-password`)
    expect(notice.text).not.toMatch(/token=/)
    await t.current.server.services.mail.drain()
    expect(smtp.messages.filter((m) => m.envelope.to.includes(disabled.email))).toEqual([])
    // The known user's password is unchanged; the new one is unverified.
    await new Client(t).signIn(known)
    const me = (
      await (await new Client(t).signIn({ email: fresh, password: PASSWORD })).call('GET', '/api/me')
    ).as(MeBody)
    expect(me.user).toMatchObject({ email: fresh, emailVerified: false, cohorts: ['beta'] })
  })

  it('withholds free credits until the link is opened; a purchase and a grant before it work; then 15 + 50 are owed', async () => {
    const to = email('person')
    expect((await signUp(to)).status).toBe(202)
    const browser = await new Client(t).signIn({ email: to, password: PASSWORD })
    const before = (await browser.call('GET', '/api/credits')).as(CreditsBody)
    expect(before).toMatchObject({ available: 0, held: 0, lots: [], owed: [] })
    const job = await browser.call('POST', '/api/jobs', {
      kind: 'generate',
      prompt: 'a lighthouse',
      size: '256x256',
    })
    expect(job.status).toBe(402)
    expect(job.error.code).toBe('INSUFFICIENT_CREDITS')

    // Buying works (and is spendable); so does an administrator's grant.
    const bought = await browser.call('POST', '/api/purchases', {
      packId: 'pack-115',
      quantity: 1,
      card: CARD,
    })
    expect(bought.status, bought.text).toBe(201)
    expect(bought.as(PurchaseBody).credits).toBe(115)
    const admin = await t.current.user({ role: 'admin' })
    const me = (await browser.call('GET', '/api/me')).as(MeBody).user
    const granted = await t.current.server.app.inject({
      method: 'POST',
      url: '/api/admin/grants',
      headers: { authorization: `Bearer ${admin.apiKey}` },
      payload: { userId: me.id, amount: 5, reason: 'welcome' },
    })
    expect(granted.statusCode, granted.body).toBe(201)
    expect((await browser.call('GET', '/api/credits')).as(CreditsBody)).toMatchObject({
      available: 120,
      owed: [],
    })

    const [token] = await linksTo(to)
    // Verifying signs nobody in: opened in another browser, it sets no cookie.
    const elsewhere = new Client(t)
    const verified = await elsewhere.call('POST', '/api/verify-email', { token })
    expect(verified.status, verified.text).toBe(200)
    expect(verified.as(EmailVerifiedBody)).toEqual({ email: to })
    expect(verified.headers.get('set-cookie')).toBeNull()
    expect((await elsewhere.call('GET', '/api/me')).status).toBe(401)

    const after = (await browser.call('GET', '/api/credits')).as(CreditsBody)
    expect(after.available).toBe(185)
    expect(after.owed.map((o) => [o.source, o.amount])).toEqual([
      ['monthly', 15],
      ['bonus', 50],
    ])
    expect((await browser.call('GET', '/api/me')).as(MeBody).user.emailVerified).toBe(true)

    const again = await new Client(t).call('POST', '/api/verify-email', { token })
    expect(again.status).toBe(400)
    expect(again.error).toMatchObject({ code: 'VALIDATION', field: 'token' })
    expect(again.error.message).toMatch(/^token: this email verification link is not valid/)
    expect((await t.current.server.services.ledger.verify()).violations).toEqual([])
  })

  it('sends the link again on request: the old one stops working; 3 an hour; 409 once verified', async () => {
    const to = email('resend')
    await signUp(to)
    const browser = await new Client(t).signIn({ email: to, password: PASSWORD })
    for (let i = 0; i < 3; i++) {
      const sent = await browser.call('POST', '/api/verify-email/resend')
      expect(sent.status, sent.text).toBe(202)
      expect(sent.as(VerificationSentBody)).toEqual({ sentTo: to })
    }
    const limited = await browser.call('POST', '/api/verify-email/resend')
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(3500)
    const tokens = await linksTo(to, 4)
    expect(tokens).toHaveLength(4)
    expect((await new Client(t).call('POST', '/api/verify-email', { token: tokens[0] })).status).toBe(400)
    expect((await new Client(t).call('POST', '/api/verify-email', { token: tokens[3] })).status).toBe(200)
    const verified = await t.current.user()
    const already = await (await new Client(t).signIn(verified)).call('POST', '/api/verify-email/resend')
    expect(already.status).toBe(409)
    expect(already.error.message).toMatch(/verified already/)
  })

  it('isolation: a link verifies the account it was sent for, whoever opens it; resend is the caller’s own', async () => {
    const alice = email('alice')
    await signUp(alice)
    const bob = await t.current.user()
    const asBob = await new Client(t).signIn(bob)
    const [token] = await linksTo(alice)
    const opened = await asBob.call('POST', '/api/verify-email', { token })
    expect(opened.as(EmailVerifiedBody)).toEqual({ email: alice })
    expect((await asBob.call('GET', '/api/me')).as(MeBody).user.email).toBe(bob.email)
    const asAlice = await new Client(t).signIn({ email: alice, password: PASSWORD })
    expect((await asAlice.call('GET', '/api/me')).as(MeBody).user.emailVerified).toBe(true)
    // Bob's resend concerns Bob (verified: 409), never Alice.
    expect((await asBob.call('POST', '/api/verify-email/resend')).status).toBe(409)
    // Nobody signed in cannot ask.
    expect((await new Client(t).call('POST', '/api/verify-email/resend')).status).toBe(401)
  })

  it('GET /api/setup says sign-up verifies by mail; the admin sees free credits protected', async () => {
    expect((await new Client(t).call('GET', '/api/setup')).as(SetupBody)).toMatchObject({
      emailVerification: true,
    })
    const admin = await t.current.user({ role: 'admin' })
    const res = await t.current.server.app.inject({
      method: 'GET',
      url: '/api/admin/sign-up',
      headers: { authorization: `Bearer ${admin.apiKey}` },
    })
    expect(Reply.injected(res).as(AdminSignUpBody)).toEqual({
      signup: 'open',
      emailVerification: true,
      freeCreditsProtected: true,
      reason: null,
      cohorts: [{ cohort: 'beta', bonusCredits: 50, joinOnSignup: true, joinUntil: null, open: true }],
    })
  })
})

describe.each(BACKENDS)('the beta’s end and unprotected free credits, mail off (%s)', (backend) => {
  const t = useTestServer(backend)

  const asKey = (key: string, method: InjectOptions['method'], url: string, body?: unknown) =>
    t.current.server.app
      .inject({
        method,
        url,
        headers: { authorization: `Bearer ${key}` },
        ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
      })
      .then(Reply.injected)

  const signUp = (to: string) => new Client(t).call('POST', '/api/signup', { email: to, password: PASSWORD })

  it('the admin sees that free credits are not protected, and why', async () => {
    const admin = await t.current.user({ role: 'admin' })
    const body = (await asKey(admin.apiKey, 'GET', '/api/admin/sign-up')).as(AdminSignUpBody)
    expect(body).toMatchObject({ signup: 'open', emailVerification: false, freeCreditsProtected: false })
    expect(body.reason).toMatch(/Mail is off \(EASEL_SMTP_URL is not set\)/)
    expect((await new Client(t).call('GET', '/api/setup')).as(SetupBody).emailVerification).toBe(false)
    const user = await t.current.user()
    expect((await asKey(user.apiKey, 'GET', '/api/admin/sign-up')).status).toBe(403)
  })

  it('closes the beta in one action: later sign-ups get 15, members keep 65; again is 409; unknown 404; only admins', async () => {
    const member = await signUp(email('member'))
    expect(member.status).toBe(201)
    expect(member.as(SessionBody).user).toMatchObject({ cohorts: ['beta'], emailVerified: true })

    const user = await t.current.user()
    expect((await asKey(user.apiKey, 'POST', '/api/admin/cohorts/beta/close')).status).toBe(403)
    const admin = await t.current.user({ role: 'admin' })
    const closed = await asKey(admin.apiKey, 'POST', '/api/admin/cohorts/beta/close')
    expect(closed.status, closed.text).toBe(200)
    const body = closed.as(CohortClosedBody)
    expect(body).toMatchObject({ cohort: 'beta', reopenedBy: [] })
    expect(body.version).toMatch(/^labs-2022\.beta-closed-\d{8}t\d{6}z$/)
    expect(body.joinUntil).toBeLessThanOrEqual(body.effectiveFrom)

    const late = new Client(t)
    const signedUp = await late.call('POST', '/api/signup', { email: email('late'), password: PASSWORD })
    expect(signedUp.status).toBe(201)
    expect(signedUp.as(SessionBody).user.cohorts).toEqual([])
    expect((await late.call('GET', '/api/credits')).as(CreditsBody).available).toBe(15)
    const memberId = member.as(SessionBody).user.id
    const memberNow = (await asKey(admin.apiKey, 'GET', '/api/admin/users?limit=200')).body as {
      users: Array<UserBody & { available: number }>
    }
    expect(memberNow.users.find((u) => u.id === memberId)).toMatchObject({ cohorts: ['beta'], available: 65 })

    const cohorts = (await asKey(admin.apiKey, 'GET', '/api/admin/sign-up')).as(AdminSignUpBody).cohorts
    expect(cohorts).toEqual([
      { cohort: 'beta', bonusCredits: 50, joinOnSignup: true, joinUntil: body.joinUntil, open: false },
    ])
    const again = await asKey(admin.apiKey, 'POST', '/api/admin/cohorts/beta/close')
    expect(again.status).toBe(409)
    expect(again.error.message).toMatch(/closed to sign-ups already/)
    const unknown = await asKey(admin.apiKey, 'POST', '/api/admin/cohorts/gamma/close')
    expect(unknown.status).toBe(404)
    expect(unknown.error.message).toMatch(/has no cohort "gamma"/)
    expect((await t.current.server.services.ledger.verify()).violations).toEqual([])
  })
})
