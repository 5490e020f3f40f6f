import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run } from '../../src/cli/main.ts'
import { Ledger } from '../../src/credits/index.ts'
import { DatabasePricing } from '../../src/credits/pricing/catalog.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { unwrap } from '../support/results.ts'

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
  function bookFile(name: string, version: string, effectiveFrom: string, ext = 'yaml') {
    const file = path.join(dir, `${name}.${ext}`)
    fs.writeFileSync(
      file,
      EXAMPLE.replace(/^version: .*$/m, `version: ${version}`).replace(
        /^effectiveFrom: .*$/m,
        `effectiveFrom: ${effectiveFrom}`,
      ),
    )
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
    const json = JSON.parse(
      (await easel('report', 'ledger', '--from', '2026-11-01', '--to', '2026-12-01', '--json')).out,
    )
    expect(json.listPricePerCredit).toBe('13.043')
    const charge = await easel('report', 'charge', '--hold', hold.holdId, '--images', '4', '--kept', '1')
    expect(charge.out).toContain('per image kept (1): 13.04 cents')
    expect((await easel('report', 'ledger', '--from', '2026-11-01')).err).toContain('--to is required')
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

  it('activates a version from its date; refuses past dates and a version twice', async () => {
    const file = bookFile('pro', 'v-pro', '2027-01-01T00:00:00Z')
    const r = await easel('pricing', 'activate', file)
    expect(r).toMatchObject({ code: 0, out: 'Price book v-pro takes effect 2027-01-01 00:00 UTC.' })
    expect(await easel('pricing', 'activate', file)).toMatchObject({
      code: 1,
      err: 'easel: price book version v-pro already exists',
    })
    const past = await easel(
      'pricing',
      'activate',
      bookFile('old', 'v-old', '2027-01-01T00:00:00Z'),
      '--from',
      '2026-01-01',
    )
    expect(past.code).toBe(2)
    expect(past.err).toContain('is in the past')
    const shown = JSON.parse((await easel('pricing', 'show', '--json')).out)
    expect(shown.inForce.version).toBe('labs-2022')
    expect(shown.versions.map((v: { version: string }) => v.version)).toEqual(['labs-2022', 'v-pro'])

    const catalog = await DatabasePricing.load(suite.db.kysely, clock)
    expect(catalog.bookAt(Date.UTC(2026, 11, 31, 23, 59)).version).toBe('labs-2022')
    expect(catalog.bookAt(Date.UTC(2027, 0, 1)).version).toBe('v-pro')
    expect(catalog.bookAt(Date.UTC(2027, 0, 1)).allowances.plans.pro?.monthlyCredits).toBe(200)
  })
})
