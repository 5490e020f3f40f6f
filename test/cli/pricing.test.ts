import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatTime } from '../../src/cli/format.ts'
import { run } from '../../src/cli/main.ts'
import { closedVersion, Ledger } from '../../src/credits/index.ts'
import { DatabasePricing } from '../../src/credits/pricing/catalog.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { unwrap } from '../support/results.ts'

const EXAMPLES_DIR = new URL('../../src/credits/pricing/examples/', import.meta.url)
const EXAMPLE = fs.readFileSync(
  new URL('../../src/credits/pricing/examples/pro-plan.yaml', import.meta.url),
  'utf8',
)

describe.each(BACKENDS)('price book versions on %s', (backend) => {
  const suite = useTestDatabase(backend)
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12))
  let dir: string
  let env: Record<string, string>

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-pricing-'))
    const c = suite.testDb.config
    env = { EASEL_DATA_DIR: dir, DATABASE_URL: c.kind === 'postgres' ? c.url : `sqlite:${c.path}` }
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  async function easel(...argv: string[]) {
    const out: string[] = []
    const err: string[] = []
    const code = await run(argv, { env, clock, out: (l) => out.push(l), err: (l) => err.push(l) })
    return { code, out: out.join('\n'), err: err.join('\n') }
  }
  /** The example book under another version, from `effectiveFrom` (left out when null). */
  function bookFile(name: string, version: string, effectiveFrom: string | null, ext = 'yaml') {
    const file = path.join(dir, `${name}.${ext}`)
    const dated = effectiveFrom === null ? '' : `\neffectiveFrom: ${effectiveFrom}`
    fs.writeFileSync(file, EXAMPLE.replace(/^version: .*$/m, `version: ${version}${dated}`))
    return file
  }

  it('allowances run grants every account what it is owed, once, with the book in force at --at', async () => {
    const ledger = new Ledger(suite.db, { clock })
    for (const cohorts of [[], ['beta'], []]) unwrap(await ledger.createAccount({ cohorts }))
    const first = JSON.parse((await easel('allowances', 'run', '--json')).out)
    expect(first).toMatchObject({ accounts: 3, monthlyLots: 3, bonusLots: 1, credits: 95 })
    const again = JSON.parse((await easel('allowances', 'run', '--json')).out)
    expect(again).toMatchObject({ accounts: 3, monthlyLots: 0, bonusLots: 0, credits: 0 })
    const nextMonth = await easel('allowances', 'run', '--at', '2026-12-26')
    expect(nextMonth.out).toBe(
      'Checked 3 accounts at 2026-12-26 00:00 UTC: granted 3 monthly and 0 bonus lots (45 credits).',
    )
    expect((await easel('allowances', 'run', '--at', 'soon')).code).toBe(2)
    expect((await easel('ledger', 'verify')).code).toBe(0)
  })

  it('reports a period and a job, in words and as JSON', async () => {
    const ledger = new Ledger(suite.db, { clock })
    const { accountId } = unwrap(await ledger.createAccount({}))
    unwrap(
      await ledger.grant({
        accountId,
        amount: 115,
        source: 'purchase',
        costBasis: { amountMinor: 1500, currency: 'USD' },
      }),
    )
    const hold = unwrap(await ledger.hold({ accountId, amount: 1 }))
    unwrap(await ledger.capture({ holdId: hold.holdId }))
    const text = await easel(
      'report',
      'ledger',
      '--account',
      accountId,
      '--from',
      '2026-11-01',
      '--to',
      '2026-12-01',
    )
    expect(text.code).toBe(0)
    expect(text.out).toMatch(/purchase\s+115\s+1\s+0\s+0/)
    expect(text.out).toContain('Revenue recognised: 13.04 USD cents')
    // The pack was paid for in full: cash, though only one of its credits is revenue yet.
    expect(text.out).toMatch(
      /Cash received \(purchases, net of refunds.*\n.*\n\s+USD\s+15\.00\s+0\.00\s+15\.00/,
    )
    const json = JSON.parse(
      (await easel('report', 'ledger', '--from', '2026-11-01', '--to', '2026-12-01', '--json')).out,
    )
    expect(json.listPricePerCredit).toBe('13.043')
    expect(json.cashReceived).toEqual([
      { currency: 'USD', purchasesMinor: 1500, refundsMinor: 0, netMinor: 1500 },
    ])
    const quiet = await easel('report', 'ledger', '--from', '2026-10-01', '--to', '2026-11-01')
    expect(quiet.out).toContain('Cash received: none')
    const charge = await easel('report', 'charge', '--hold', hold.holdId, '--images', '4', '--kept', '1')
    expect(charge.out).toContain('per image kept (1): 13.04 cents')
    expect((await easel('report', 'ledger', '--from', '2026-11-01')).err).toContain('--to is required')
  })

  it('takes and reports money in the currency’s own digits, never adding currencies together', async () => {
    const ledger = new Ledger(suite.db, { clock })
    const { accountId } = unwrap(await ledger.createAccount({}))
    unwrap(
      await ledger.grant({
        accountId,
        amount: 115,
        source: 'purchase',
        costBasis: { amountMinor: 1500, currency: 'USD' },
      }),
    )
    const grant = (...argv: string[]) =>
      easel('credits', 'grant', '--account', accountId, '--amount', '100', '--source', 'purchase', ...argv)
    // ¥1,500 is typed as 1500: the yen has no minor unit, so 1.5 is refused rather than rounded.
    const yen = await grant('--cost', '1500', '--currency', 'JPY')
    expect(yen.code).toBe(0)
    expect(yen.out).toContain('cost 1500 JPY')
    const refused = await grant('--cost', '1.5', '--currency', 'JPY')
    expect(refused.code).toBe(2)
    expect(refused.err).toContain('--cost must be an amount such as 15 (JPY has no minor unit)')
    expect((await grant('--cost', '1.5', '--currency', 'KWD', '--json')).out).toContain('"amountMinor": 1500')

    const { available } = unwrap(await ledger.balance(accountId))
    unwrap(
      await ledger.capture({ holdId: unwrap(await ledger.hold({ accountId, amount: available })).holdId }),
    )
    const range = ['--account', accountId, '--from', '2026-11-01', '--to', '2027-01-01']
    const text = await easel('report', 'ledger', ...range)
    expect(text.out).toContain('Revenue recognised: 1500.00 JPY\n')
    expect(text.out).toContain('Revenue recognised: 1500.00 KWD thousandths')
    expect(text.out).toContain('Revenue recognised: 1500.00 USD cents')
    const json = JSON.parse((await easel('report', 'ledger', ...range, '--json')).out)
    expect(json.byCurrency.map((l: { currency: string }) => l.currency)).toEqual(['JPY', 'KWD', 'USD'])
    expect(json.cashReceived.map((c: { netMinor: number }) => c.netMinor)).toEqual([1500, 1500, 1500])
    expect(text.out).toMatch(/JPY\s+1500\s+0\s+1500\n\s+KWD\s+1\.500\s+0\.000\s+1\.500\n\s+USD\s+15\.00/)
  })

  it('simulates the period under another book', async () => {
    const ledger = new Ledger(suite.db, { clock })
    const { accountId } = unwrap(await ledger.createAccount({}))
    unwrap(await ledger.grant({ accountId, amount: 10, source: 'promotional' }))
    const hold = unwrap(
      await ledger.hold({
        accountId,
        amount: 1,
        pricedBy: { bookVersion: 'labs-2022', ruleId: 'edit', operation: 'edit', parameters: {} },
      }),
    )
    unwrap(await ledger.capture({ holdId: hold.holdId }))
    const file = path.join(dir, 'edit2.yaml')
    fs.writeFileSync(
      file,
      EXAMPLE.replace(/^version: .*$/m, 'version: edit-2').replace(
        /(\n {2}edit:\n(?:.*\n)*? {6}- id: edit\n {8}credits:) 1/,
        '$1 2',
      ),
    )
    const r = await easel('pricing', 'simulate', '--book', file, '--from', '2026-11-01', '--to', '2026-12-01')
    expect(r.code).toBe(0)
    expect(r.out).toContain('re-priced under edit-2')
    expect(r.out).toMatch(/edit\s+1\s+1\s+2\s+13\.04\s+26\.09/)
    expect((await easel('pricing', 'simulate', '--book', file, '--from', '2026-11-01')).code).toBe(2)
  })

  it('validates a book file, listing every problem with its path and line', async () => {
    const good = await easel('pricing', 'validate', bookFile('good', 'v-good', '2027-01-01T00:00:00Z'))
    expect(good).toMatchObject({ code: 0 })
    expect(good.out).toContain('price book v-good is valid')
    const badFile = path.join(dir, 'bad.yaml')
    fs.writeFileSync(badFile, 'version: bad\ncurrency: usd\n')
    const bad = await easel('pricing', 'validate', badFile)
    expect(bad.code).toBe(1)
    expect(bad.err).toContain('line 2: currency: must be an ISO 4217 currency code')
    expect(bad.err).toContain('operations: is required')
    expect((await easel('pricing', 'validate')).code).toBe(2)
    expect((await easel('pricing', 'validate', path.join(dir, 'missing.json'))).err).toMatch(/cannot read/)
  })

  it('activates a version from its date; refuses past dates, clearly, and a version twice', async () => {
    const file = bookFile('pro', 'v-pro', '2027-01-01T00:00:00Z')
    const r = await easel('pricing', 'activate', file)
    expect(r).toMatchObject({ code: 0, out: 'Price book v-pro takes effect 2027-01-01 00:00 UTC.' })
    expect(await easel('pricing', 'activate', file)).toMatchObject({
      code: 1,
      err: 'easel: price book version v-pro already exists',
    })
    for (const [from, argv] of [
      ['2026-01-01', ['--from', '2026-01-01']],
      ['2026-11-01', []],
    ] as const) {
      const past = await easel('pricing', 'activate', bookFile('old', 'v-old', `${from}T00:00:00Z`), ...argv)
      expect(past.code).toBe(2)
      expect(past.out).toBe('')
      // A refusal that says so first, names the date, and says what to do instead.
      expect(past.err).toMatch(
        new RegExp(
          `^easel: not activated: price book v-old would take effect from ${from}T00:00:00.000Z, which has passed`,
        ),
      )
      expect(past.err).toContain(
        'Use --from now, --from a later DATE, or leave effectiveFrom out of the file.',
      )
      expect(past.err).not.toMatch(/takes effect from now on/)
    }
    const versions = JSON.parse((await easel('pricing', 'versions', '--json')).out)
    expect(versions.map((v: { version: string }) => v.version)).toEqual(['labs-2022', 'v-pro'])
    const shown = JSON.parse((await easel('pricing', 'show', '--json')).out)
    expect(shown.version).toBe('labs-2022')

    const catalog = await DatabasePricing.load(suite.db.kysely, clock)
    expect(catalog.bookAt(Date.UTC(2026, 11, 31, 23, 59)).version).toBe('labs-2022')
    expect(catalog.bookAt(Date.UTC(2027, 0, 1)).version).toBe('v-pro')
    expect(catalog.bookAt(Date.UTC(2027, 0, 1)).allowances.plans.pro?.monthlyCredits).toBe(200)
  })
})

describe.each(BACKENDS)('activating price books from now on %s', (backend) => {
  const suite = useTestDatabase(backend)
  // Long after any date a shipped example could carry: an example must activate whenever it is used.
  const clock = new ManualClock(Date.UTC(2031, 4, 17, 9, 30))
  let dir: string
  let env: Record<string, string>

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-pricing-now-'))
    const c = suite.testDb.config
    env = { EASEL_DATA_DIR: dir, DATABASE_URL: c.kind === 'postgres' ? c.url : `sqlite:${c.path}` }
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  async function easel(...argv: string[]) {
    const out: string[] = []
    const err: string[] = []
    const code = await run(argv, { env, clock, out: (l) => out.push(l), err: (l) => err.push(l) })
    return { code, out: out.join('\n'), err: err.join('\n') }
  }
  function write(name: string, text: string): string {
    const file = path.join(dir, name)
    fs.writeFileSync(file, text)
    return file
  }
  const versions = async () =>
    (JSON.parse((await easel('pricing', 'versions', '--json')).out) as Array<{ version: string }>).map(
      (v) => v.version,
    )

  it('activates every shipped example as shipped, from now', async () => {
    const examples = fs.readdirSync(EXAMPLES_DIR).filter((f) => /\.(ya?ml|json)$/.test(f))
    expect(examples.length).toBeGreaterThan(0)
    for (const name of examples) {
      clock.advance(60_000)
      const r = await easel('pricing', 'activate', path.join(fileURLToPath(EXAMPLES_DIR), name), '--json')
      expect(r, name).toMatchObject({ code: 0, err: '' })
      expect(JSON.parse(r.out), name).toMatchObject({ effectiveFrom: clock.now(), activatedAt: clock.now() })
    }
  })

  it('takes a book without effectiveFrom, or with --from now, from now', async () => {
    clock.advance(60_000)
    const undated = write('undated.yaml', EXAMPLE.replace(/^version: .*$/m, 'version: undated'))
    expect(await easel('pricing', 'activate', undated)).toMatchObject({
      code: 0,
      out: `Price book undated is in force from now (${formatTime(clock.now())}).`,
    })
    const catalog = await DatabasePricing.load(suite.db.kysely, clock)
    expect(catalog.bookAt(clock.now()).version).toBe('undated')

    clock.advance(60_000)
    const dated = write(
      'dated.yaml',
      EXAMPLE.replace(/^version: .*$/m, 'version: dated-now\neffectiveFrom: 2030-01-01T00:00:00Z'),
    )
    const now = await easel('pricing', 'activate', dated, '--from', 'now')
    expect(now).toMatchObject({
      code: 0,
      out: `Price book dated-now is in force from now (${formatTime(clock.now())}).`,
    })
    expect(await easel('pricing', 'activate', dated, '--from', 'later')).toMatchObject({ code: 2 })
  })

  it('prints with show --json a book that activate takes back', async () => {
    clock.advance(60_000)
    const shown = await easel('pricing', 'show', '--json')
    expect(shown.code).toBe(0)
    const book = JSON.parse(shown.out)
    expect(book.effectiveFrom).toBeUndefined()
    // Unchanged, it is the version in force already: refused as such, with nothing activated.
    const same = write('same.json', shown.out)
    expect(await easel('pricing', 'activate', same)).toMatchObject({
      code: 1,
      err: `easel: price book version ${book.version} already exists`,
    })
    const copy = write('copy.json', JSON.stringify({ ...book, version: 'round-trip' }, null, 2))
    expect(await easel('pricing', 'validate', copy)).toMatchObject({ code: 0 })
    expect(await easel('pricing', 'activate', copy)).toMatchObject({ code: 0 })
    clock.advance(1)
    const again = JSON.parse((await easel('pricing', 'show', '--json')).out)
    expect(again).toEqual({ ...book, version: 'round-trip' })
    expect((await versions()).at(-1)).toBe('round-trip')
  })

  it('shows cohorts, expiry and burn order in words', async () => {
    const r = await easel('pricing', 'show')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^In force: round-trip \(USD\) since \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/m)
    expect(r.out).toContain('Monthly allowances (default plan free):')
    expect(r.out).toContain('  pro: 200 credits, 20.00 USD a period')
    expect(r.out).toMatch(
      /Cohorts:\n\s+COHORT\s+BONUS\s+BONUS EXPIRES\s+JOIN ON SIGN-UP\s+JOIN UNTIL\n\s+beta\s+50\s+after 1 month\s+yes\s+no end/,
    )
    expect(r.out).toMatch(/monthly\s+at the end of its period\s+10/)
    expect(r.out).toMatch(/bonus\s+after 1 month\s+20/)
    expect(r.out).toMatch(/promotional\s+never\s+30/)
    expect(r.out).toMatch(/purchase\s+after 12 months\s+50/)
    expect(r.out).toMatch(/adjustment\s+never\s+60/)
  })

  it('close-cohort closes the beta from now in a new version; members keep it; refusals say why', async () => {
    clock.advance(60_000)
    const closedAt = clock.now()
    const closed = await easel('pricing', 'close-cohort', 'beta')
    expect(closed.err).toBe('')
    expect(closed.code).toBe(0)
    expect(closed.out).toBe(
      [
        `Cohort beta is closed to sign-ups from ${formatTime(closedAt)}: price book ${closedVersion('round-trip', 'beta', closedAt)} is in force from now.`,
        'Its members keep the cohort and its bonus; an administrator can still place users in it.',
      ].join('\n'),
    )
    const shown = await easel('pricing', 'show')
    expect(shown.out).toMatch(
      /beta\s+50\s+after 1 month\s+yes\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC \(closed\)/,
    )
    const book = JSON.parse((await easel('pricing', 'show', '--json')).out)
    expect(book.cohorts.beta).toMatchObject({ bonusCredits: 50, joinUntil: new Date(closedAt).toISOString() })

    clock.advance(60_000)
    expect(await easel('pricing', 'close-cohort', 'beta')).toMatchObject({
      code: 1,
      err: `easel: cohort beta is closed to sign-ups already, since ${new Date(closedAt).toISOString()}`,
    })
    const unknown = await easel('pricing', 'close-cohort', 'gamma', '--json')
    expect(unknown.code).toBe(1)
    expect(JSON.parse(unknown.out).error).toMatchObject({ code: 'NOT_FOUND' })
    expect((await easel('pricing', 'close-cohort')).code).toBe(2)
    expect((await easel('pricing', 'close-cohort', 'beta', 'gamma')).code).toBe(2)
    expect((await easel('ledger', 'verify')).code).toBe(0)
  })
})
