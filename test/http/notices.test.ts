import { describe, expect, it } from 'vitest'
import { NoticePreferencesBody } from '../../src/contracts/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS } from '../support/backends.ts'
import { InjectedBrowser } from '../support/injected-browser.ts'
import { MailRecorder } from '../support/mail-recorder.ts'
import { type TestUser, useTestServer } from '../support/server.ts'

// /api/account/notices through HTTP on every backend: a signed-in person reads and chooses the
// notices they are mailed; an API key may do neither; one person's choice never touches another's;
// and the choice is what the notices run follows.

const HOUR = 3_600_000
const DAY = 24 * HOUR

describe.each(BACKENDS)('notice preferences over HTTP (%s)', (backend) => {
  const clock = new ManualClock(Date.UTC(2026, 4, 10, 9))
  const recorder = new MailRecorder()
  const t = useTestServer(backend, { clock, mailTransport: recorder })

  const signedIn = async (user: TestUser) => new InjectedBrowser(t).signIn(user)
  const get = async (browser: InjectedBrowser) => {
    const res = await browser.call('GET', '/api/account/notices')
    expect(res.status, res.text).toBe(200)
    return res.as(NoticePreferencesBody)
  }
  const rowsOf = (userId: string) =>
    t.current.server.services.db.kysely
      .selectFrom('notice_preferences')
      .select(['expiry_warnings', 'free_credits'])
      .where('user_id', '=', userId)
      .execute()

  it('starts at the defaults (expiry warnings on, free-credits mail off), and keeps what is saved', async () => {
    const user = await t.current.user()
    const browser = await signedIn(user)
    expect(await get(browser)).toEqual({ expiryWarnings: true, freeCredits: false })

    const saved = await browser.call('PUT', '/api/account/notices', {
      expiryWarnings: false,
      freeCredits: true,
    })
    expect(saved.status, saved.text).toBe(200)
    expect(saved.as(NoticePreferencesBody)).toEqual({ expiryWarnings: false, freeCredits: true })
    expect(await get(browser)).toEqual({ expiryWarnings: false, freeCredits: true })
    expect(await get(await signedIn(user))).toEqual({ expiryWarnings: false, freeCredits: true })

    const back = await browser.call('PUT', '/api/account/notices', {
      expiryWarnings: true,
      freeCredits: false,
    })
    expect(back.as(NoticePreferencesBody)).toEqual({ expiryWarnings: true, freeCredits: false })
    expect(await rowsOf(user.user.id)).toEqual([{ expiry_warnings: 1, free_credits: 0 }])
  })

  it('refuses an API key (403) for reading and for saving, and saves nothing', async () => {
    const user = await t.current.user()
    const headers = { authorization: `Bearer ${user.apiKey}` }
    const { app } = t.current.server
    const read = await app.inject({ method: 'GET', url: '/api/account/notices', headers })
    expect(read.statusCode).toBe(403)
    expect(read.json().error.message).toMatch(/API keys cannot read or change which notices/)
    const write = await app.inject({
      method: 'PUT',
      url: '/api/account/notices',
      headers,
      payload: { expiryWarnings: false, freeCredits: true },
    })
    expect(write.statusCode).toBe(403)
    expect(write.json().error.code).toBe('FORBIDDEN')
    expect(await rowsOf(user.user.id)).toEqual([])
  })

  it('refuses a caller who is not signed in (401), and a session write without its CSRF token', async () => {
    const { app } = t.current.server
    const anonymous = await app.inject({ method: 'GET', url: '/api/account/notices' })
    expect(anonymous.statusCode).toBe(401)
    const user = await t.current.user()
    const browser = await signedIn(user)
    const res = await browser.call(
      'PUT',
      '/api/account/notices',
      { expiryWarnings: false, freeCredits: false },
      { 'x-csrf-token': 'not-the-token' },
    )
    expect(res.status).toBe(403)
    expect(await rowsOf(user.user.id)).toEqual([])
  })

  it("isolation: one person's choice does not change another's, and each reads only their own", async () => {
    const [a, b] = [await t.current.user(), await t.current.user()]
    const [browserA, browserB] = [await signedIn(a), await signedIn(b)]
    await browserB.call('PUT', '/api/account/notices', { expiryWarnings: true, freeCredits: true })
    const res = await browserA.call('PUT', '/api/account/notices', {
      expiryWarnings: false,
      freeCredits: false,
    })
    expect(res.status).toBe(200)
    expect(await get(browserA)).toEqual({ expiryWarnings: false, freeCredits: false })
    expect(await get(browserB)).toEqual({ expiryWarnings: true, freeCredits: true })
    expect(await rowsOf(b.user.id)).toEqual([{ expiry_warnings: 1, free_credits: 1 }])
  })

  it('what is chosen here is what the notices follow', async () => {
    const { services, lifecycle } = t.current.server
    const [quiet, told] = [await t.current.user(), await t.current.user()]
    for (const u of [quiet, told]) {
      const g = await services.ledger.grant({
        accountId: u.user.accountId,
        amount: 115,
        source: 'purchase',
        expiresAt: clock.now() + 3 * DAY,
      })
      expect(g.ok).toBe(true)
    }
    await (await signedIn(quiet)).call('PUT', '/api/account/notices', {
      expiryWarnings: false,
      freeCredits: false,
    })
    await (await signedIn(told)).call('PUT', '/api/account/notices', {
      expiryWarnings: true,
      freeCredits: true,
    })

    await lifecycle.sendNotices()
    // The free-credits mail starts with the next period (a month after sign-up).
    clock.advance(31 * DAY)
    await lifecycle.sendNotices()
    await services.mail.drain()
    expect(recorder.to(quiet.email).map((m) => m.kind)).toEqual([])
    expect(recorder.to(told.email).map((m) => m.kind)).toEqual(['credits-expiring', 'free-credits'])
  })
})
