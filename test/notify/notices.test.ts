import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { EaselApp } from '../../src/app/index.ts'
import { LABS_2022 } from '../../src/credits/index.ts'
import { Notices } from '../../src/notify/notices.ts'
import { expiryDueQuery } from '../../src/notify/notices-expiry.ts'
import { freeCreditsDueQuery } from '../../src/notify/notices-free-credits.ts'
import { NoticePreferenceStore } from '../../src/notify/notices-preferences.ts'
import { readRows } from '../../src/notify/notices-tables.ts'
import { BACKENDS } from '../support/backends.ts'
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.ts'
import { type MailSuite, useMailSuite } from './helpers.ts'

// The notices people expect (src/notify/notices.ts), on every backend, with the clock driven by the
// test: the warning a week before bought credits expire, "your free credits are here" each period
// for those who asked, each sent exactly once however many runs race, and neither to the disabled.

const PUBLIC_URL = 'https://easel.example.test'
const PASSWORD = 'correct horse battery'
const HOUR = 3_600_000
const DAY = 24 * HOUR
/** The suites' clock starts here (ManualClock's default): a Thursday. */
const T0 = Date.UTC(2026, 0, 1)

interface QueuedMail {
  kind: string
  to_address: string
  subject: string
  text_body: string
  html_body: string
}

let serial = 0

/** What one suite's tests share: an app on the suite's database, its users, and the outbox. */
function noticesKit(s: MailSuite) {
  const kit = {
    app: undefined as unknown as EaselApp,
    async open(env: Record<string, string> = {}): Promise<EaselApp> {
      kit.app = await s.open({ EASEL_PUBLIC_URL: PUBLIC_URL, ...env })
      return kit.app
    },
    /** A verified user (as the CLI makes them), free credits owed from now. */
    async user(name: string, plan?: string): Promise<{ id: string; accountId: string; email: string }> {
      const email = `${name}${++serial}@example.test`
      const created = await kit.app.services.accounts.createUser({
        email,
        password: PASSWORD,
        ...(plan ? { plan } : {}),
      })
      if (!created.ok) throw new Error(created.error.message)
      return { id: created.value.id, accountId: created.value.accountId, email }
    },
    /** A grant of bought credits to the account, expiring at `expiresAt`. */
    async bought(accountId: string, amount: number, expiresAt: number): Promise<string> {
      const g = await kit.app.services.ledger.grant({ accountId, amount, source: 'purchase', expiresAt })
      if (!g.ok) throw new Error(g.error.message)
      return g.value.lotId
    },
    prefs(): NoticePreferenceStore {
      return new NoticePreferenceStore(kit.app.services.db, s.clock)
    },
    /** The notices queued so far to `to` (mail is not sent in these tests: the outbox is read). */
    async mailsTo(to: string): Promise<QueuedMail[]> {
      return s.peer.kysely
        .selectFrom('mail_outbox')
        .select(['kind', 'to_address', 'subject', 'text_body', 'html_body'])
        .where('to_address', '=', to)
        .where('kind', 'in', ['credits-expiring', 'free-credits'])
        .orderBy('id')
        .execute()
    },
    run() {
      return kit.app.lifecycle.notices.run()
    },
  }
  return kit
}

describe.each(BACKENDS)('notices (%s)', (backend) => {
  const s = useMailSuite(backend)
  const k = noticesKit(s)
  beforeEach(async () => {
    await k.open()
  })

  describe('the warning a week before bought credits expire', () => {
    it('is not sent 8 days ahead; 7 days ahead one mail says how many, when, and that they are spent first; then nothing more', async () => {
      const ada = await k.user('ada')
      const expiresAt = T0 + 8 * DAY + 14 * HOUR + 5 * 60_000
      await k.bought(ada.accountId, 40, expiresAt)

      s.clock.set(expiresAt - 8 * DAY)
      expect(await k.run()).toEqual({ expiryWarnings: 0, freeCredits: 0, more: false })
      expect(await k.mailsTo(ada.email)).toEqual([])

      s.clock.set(expiresAt - 7 * DAY)
      expect(await k.run()).toEqual({ expiryWarnings: 1, freeCredits: 0, more: false })
      const [mail, ...more] = await k.mailsTo(ada.email)
      expect(more).toEqual([])
      expect(mail!.kind).toBe('credits-expiring')
      expect(mail!.subject).toBe('40 of your Easel credits expire on 9 January 2026')
      expect(mail!.text_body).toContain(
        '40 credits you bought on Easel will expire on Friday 9 January 2026 at 14:05 UTC.',
      )
      expect(mail!.text_body).toContain(
        'Easel always spends your free credits first and then, of the credits you bought, those that expire soonest',
      )
      expect(mail!.text_body).toContain(`See my credits: ${PUBLIC_URL}/credits`)
      expect(mail!.text_body).toContain(`${PUBLIC_URL}/account`)

      // Later runs, a day later too, find it warned about.
      expect((await k.run()).expiryWarnings).toBe(0)
      s.clock.advance(DAY)
      expect((await k.run()).expiryWarnings).toBe(0)
      expect(await k.mailsTo(ada.email)).toHaveLength(1)
    })

    it('lists two grants of one person that expire in the week in one mail; a third entering the week later gets its own', async () => {
      const bo = await k.user('bo')
      await k.bought(bo.accountId, 10, T0 + 2 * DAY)
      await k.bought(bo.accountId, 5, T0 + 6 * DAY + 12 * HOUR)
      const later = T0 + 9 * DAY
      await k.bought(bo.accountId, 7, later)

      expect((await k.run()).expiryWarnings).toBe(1)
      const [first] = await k.mailsTo(bo.email)
      expect(first!.subject).toBe('15 of your Easel credits expire within a week')
      expect(first!.text_body).toContain('15 credits you bought on Easel will expire within a week.')
      expect(first!.text_body).toContain('• 10 credits on Saturday 3 January 2026 at 00:00 UTC')
      expect(first!.text_body).toContain('• 5 credits on Wednesday 7 January 2026 at 12:00 UTC')
      expect(first!.text_body).not.toContain('7 credits')

      s.clock.set(later - 7 * DAY)
      expect((await k.run()).expiryWarnings).toBe(1)
      const mails = await k.mailsTo(bo.email)
      expect(mails).toHaveLength(2)
      expect(mails[1]!.subject).toBe('7 of your Easel credits expire on 10 January 2026')
    })

    it('does not warn about credits already spent, nor about free credits', async () => {
      const cy = await k.user('cy')
      await k.bought(cy.accountId, 10, T0 + 3 * DAY)
      const { ledger } = k.app.services
      // 15 free credits burn first, then the 10 bought ones: all spent.
      const hold = await ledger.hold({ accountId: cy.accountId, amount: 25 })
      if (!hold.ok) throw new Error(hold.error.message)
      expect((await ledger.capture({ holdId: hold.value.holdId })).ok).toBe(true)
      // The free credits of the period expire within the week too: they are never warned about.
      s.clock.set(T0 + 25 * DAY)
      const fresh = await k.user('fresh')
      expect((await k.run()).expiryWarnings).toBe(0)
      expect(await k.mailsTo(cy.email)).toEqual([])
      expect(await k.mailsTo(fresh.email)).toEqual([])
      expect((await ledger.verify()).violations).toEqual([])
    })

    it('counts what is left of a grant partly spent', async () => {
      const di = await k.user('di')
      await k.bought(di.accountId, 10, T0 + 3 * DAY)
      const hold = await k.app.services.ledger.hold({ accountId: di.accountId, amount: 18 })
      if (!hold.ok) throw new Error(hold.error.message)
      expect((await k.run()).expiryWarnings).toBe(1)
      expect((await k.mailsTo(di.email))[0]!.subject).toBe('7 of your Easel credits expire on 4 January 2026')
    })

    it('is not sent to someone who turned it off, nor to a disabled user', async () => {
      const off = await k.user('off')
      const gone = await k.user('gone')
      await k.bought(off.accountId, 10, T0 + 3 * DAY)
      await k.bought(gone.accountId, 10, T0 + 3 * DAY)
      expect(await k.prefs().set(off.id, { expiryWarnings: false, freeCredits: false })).toEqual({
        expiryWarnings: false,
        freeCredits: false,
      })
      expect((await k.app.services.accounts.updateUser(gone.id, { disabled: true })).ok).toBe(true)
      expect((await k.run()).expiryWarnings).toBe(0)
      expect(await k.mailsTo(off.email)).toEqual([])
      expect(await k.mailsTo(gone.email)).toEqual([])

      // Turned on again while the credits are still in the week: the warning goes.
      await k.prefs().set(off.id, { expiryWarnings: true, freeCredits: false })
      expect((await k.run()).expiryWarnings).toBe(1)
      expect(await k.mailsTo(off.email)).toHaveLength(1)
    })
  })

  describe('"your free credits are here"', () => {
    it('goes to those who asked, at the start of each period: once a period, again the next month', async () => {
      const asked = await k.user('asked')
      const quiet = await k.user('quiet')
      expect(await k.prefs().get(asked.id)).toEqual({ expiryWarnings: true, freeCredits: false })
      await k.prefs().set(asked.id, { expiryWarnings: true, freeCredits: true })

      // The period under way had its credits already: the first mail is the next period's.
      expect((await k.run()).freeCredits).toBe(0)
      s.clock.set(Date.UTC(2026, 0, 31, 23))
      expect((await k.run()).freeCredits).toBe(0)

      s.clock.set(Date.UTC(2026, 1, 1, 0, 30))
      expect((await k.run()).freeCredits).toBe(1)
      const [mail, ...more] = await k.mailsTo(asked.email)
      expect(more).toEqual([])
      expect(mail!.kind).toBe('free-credits')
      expect(mail!.subject).toBe('Your 15 free Easel credits are here')
      expect(mail!.text_body).toContain(
        'They last until Sunday 1 March 2026 at 00:00 UTC and do not carry over into the next month.',
      )
      expect(mail!.text_body).toContain(`Open the studio: ${PUBLIC_URL}/`)
      expect(mail!.text_body).toContain(`${PUBLIC_URL}/account`)
      expect(await k.mailsTo(quiet.email)).toEqual([])

      s.clock.advance(2 * HOUR)
      expect((await k.run()).freeCredits).toBe(0)
      s.clock.set(Date.UTC(2026, 2, 1, 1))
      expect((await k.run()).freeCredits).toBe(1)
      expect((await k.mailsTo(asked.email)).map((m) => m.subject)).toEqual([
        'Your 15 free Easel credits are here',
        'Your 15 free Easel credits are here',
      ])

      // Turned off: nothing the month after.
      await k.prefs().set(asked.id, { expiryWarnings: true, freeCredits: false })
      s.clock.set(Date.UTC(2026, 3, 1, 1))
      expect((await k.run()).freeCredits).toBe(0)
      expect(await k.mailsTo(asked.email)).toHaveLength(2)
    })

    it('says what the book in force gives the plan, and nothing to a plan without an allowance', async () => {
      const activated = await k.app.services.pricing.activate(
        {
          ...LABS_2022,
          version: 'notices-plans',
          allowances: {
            ...LABS_2022.allowances,
            plans: {
              free: { monthlyCredits: 15 },
              pro: { monthlyCredits: 100 },
              none: { monthlyCredits: 0 },
            },
          },
        },
        'now',
      )
      expect(activated.ok).toBe(true)
      const pro = await k.user('pro', 'pro')
      const none = await k.user('none', 'none')
      for (const u of [pro, none]) await k.prefs().set(u.id, { expiryWarnings: true, freeCredits: true })
      s.clock.set(Date.UTC(2026, 1, 1, 1))
      expect((await k.run()).freeCredits).toBe(1)
      expect((await k.mailsTo(pro.email)).map((m) => m.subject)).toEqual([
        'Your 100 free Easel credits are here',
      ])
      expect(await k.mailsTo(none.email)).toEqual([])
      // The plan without an allowance is not looked at again before its next period.
      expect((await k.run()).freeCredits).toBe(0)
    })

    it('is not sent to a disabled user; enabled again, they get the period under way', async () => {
      const u = await k.user('paused')
      await k.prefs().set(u.id, { expiryWarnings: true, freeCredits: true })
      expect((await k.app.services.accounts.updateUser(u.id, { disabled: true })).ok).toBe(true)
      s.clock.set(Date.UTC(2026, 1, 1, 1))
      expect((await k.run()).freeCredits).toBe(0)
      expect((await k.app.services.accounts.updateUser(u.id, { disabled: false })).ok).toBe(true)
      s.clock.advance(HOUR)
      expect((await k.run()).freeCredits).toBe(1)
      expect(await k.mailsTo(u.email)).toHaveLength(1)
    })
  })

  it('two runs at once, in one process or two, send each notice once', async () => {
    const other = await s.open({ EASEL_PUBLIC_URL: PUBLIC_URL })
    const people = await Promise.all(['r1', 'r2', 'r3'].map((n) => k.user(n)))
    for (const p of people) {
      await k.bought(p.accountId, 3, T0 + 5 * DAY)
      await k.bought(p.accountId, 4, T0 + 6 * DAY)
      await k.prefs().set(p.id, { expiryWarnings: true, freeCredits: true })
    }
    s.clock.set(Date.UTC(2026, 1, 1, 1))
    for (const p of people) await k.bought(p.accountId, 2, s.clock.now() + 3 * DAY)

    const runs = await Promise.all([
      k.run(),
      k.run(),
      other.lifecycle.notices.run(),
      other.lifecycle.notices.run(),
    ])
    expect(runs.reduce((n, r) => n + r.expiryWarnings, 0)).toBe(3)
    expect(runs.reduce((n, r) => n + r.freeCredits, 0)).toBe(3)
    for (const p of people) {
      expect((await k.mailsTo(p.email)).map((m) => m.kind).sort()).toEqual([
        'credits-expiring',
        'free-credits',
      ])
    }
    const sent = await s.peer.kysely.selectFrom('notices_sent').select(['kind']).execute()
    expect(sent.filter((r) => r.kind === 'credits-expiring')).toHaveLength(3)
    expect(sent.filter((r) => r.kind === 'free-credits')).toHaveLength(3)
  })

  it.runIf(backend === 'sqlite')(
    'finds who is due through indexes, never by reading every user (the plan of both searches)',
    async () => {
      const plan = async (query: { text: string; params: unknown[] }) =>
        (
          await readRows<{ detail: string }>(
            k.app.services.db,
            `explain query plan ${query.text}`,
            query.params,
          )
        ).map((r) => r.detail)
      const expiry = await plan(expiryDueQuery(T0, 200))
      expect(expiry[0]).toMatch(/^SEARCH l USING INDEX lots_expiring \(expires_at>\? AND expires_at<\?\)/)
      expect(expiry).toContainEqual(expect.stringMatching(/^SEARCH n USING COVERING INDEX .*\(key=\?\)/))
      const free = await plan(freeCreditsDueQuery(T0, 200))
      expect(free[0]).toMatch(/^SEARCH p USING INDEX notice_preferences_free_due/)
      expect([...expiry, ...free].filter((d) => d.startsWith('SCAN'))).toEqual([])
    },
  )

  it('a run handles a bounded number of people; the next run goes on where it stopped', async () => {
    const people = await Promise.all(['b1', 'b2', 'b3'].map((n) => k.user(n)))
    for (const p of people) await k.bought(p.accountId, 5, T0 + 2 * DAY)
    const { db, pricing } = k.app.services
    const small = new Notices(db, {
      clock: s.clock,
      pricing,
      linkBase: PUBLIC_URL,
      batchSize: 2,
      batchesPerRun: 1,
    })
    expect(await small.run()).toEqual({ expiryWarnings: 2, freeCredits: 0, more: true })
    expect(await small.run()).toEqual({ expiryWarnings: 1, freeCredits: 0, more: false })
    expect(await small.run()).toEqual({ expiryWarnings: 0, freeCredits: 0, more: false })
    for (const p of people) expect(await k.mailsTo(p.email)).toHaveLength(1)
  })
})

describe.each(BACKENDS)('notices with mail on, through a real SMTP server (%s)', (backend) => {
  let smtp: TestSmtpServer
  beforeAll(async () => {
    smtp = await startSmtpServer()
  })
  afterAll(async () => {
    await smtp.close()
  })
  const s = useMailSuite(backend, () => ({
    EASEL_SMTP_URL: smtp.url,
    EASEL_MAIL_FROM: 'Easel <easel@example.test>',
  }))
  const k = noticesKit(s)
  beforeEach(async () => {
    await k.open()
  })

  it('the expiry warning arrives, with its links on EASEL_PUBLIC_URL', async () => {
    const ada = await k.user('smtp-ada')
    await k.bought(ada.accountId, 115, T0 + 5 * DAY)
    expect((await k.app.lifecycle.sendNotices())?.expiryWarnings).toBe(1)
    await k.app.services.mail.drain()
    const received = await smtp.waitFor((m) => m.envelope.to.includes(ada.email))
    expect(received.subject).toBe('115 of your Easel credits expire on 6 January 2026')
    expect(received.text).toContain(
      '115 credits you bought on Easel will expire on Tuesday 6 January 2026 at 00:00 UTC.',
    )
    expect(received.html).toContain(`href="${PUBLIC_URL}/credits"`)
  })

  it('free credits held until the email is verified: no mail; verified, the mail comes', async () => {
    const email = `held${++serial}@example.test`
    const signed = await k.app.services.accounts.signUpByMail({
      email,
      password: PASSWORD,
      linkBase: PUBLIC_URL,
    })
    expect(signed.ok).toBe(true)
    const user = await k.app.services.accounts.findUserByEmail(email)
    if (!user) throw new Error('no user')
    await k.prefs().set(user.id, { expiryWarnings: true, freeCredits: true })

    s.clock.set(Date.UTC(2026, 1, 1, 1))
    expect((await k.run()).freeCredits).toBe(0)
    expect(await k.mailsTo(email)).toEqual([])

    expect((await k.app.services.accounts.updateUser(user.id, { emailVerified: true })).ok).toBe(true)
    expect((await k.run()).freeCredits).toBe(1)
    expect((await k.mailsTo(email))[0]!.subject).toBe('Your 15 free Easel credits are here')
  })
})
