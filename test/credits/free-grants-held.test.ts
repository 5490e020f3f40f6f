import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { freeGrantsOwed, type OwingAccount, owedLots } from '../../src/credits/balance.ts'
import { LABS_2022, Ledger, staticPricing } from '../../src/credits/index.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { refusal, unwrap } from '../support/results.ts'

// An account's free grants held (issue 11): created with `holdFreeGrants`, an account is owed no
// monthly allowance and no cohort bonus, and no spend grants them, until `releaseFreeGrants`; grants
// and purchases work as for any account meanwhile. Released, it is owed this period's allowance (of
// its usual period, anchored on its creation) and its bonuses from then. The ledger knows nothing of
// why they are held (accounts/ holds them until an email is verified).

const DAY = 86_400_000
const T0 = Date.UTC(2027, 0, 25, 12)

describe('free grants held (pure)', () => {
  const account: OwingAccount = {
    id: 'acct_p',
    createdAt: T0,
    plan: 'free',
    cohorts: ['beta'],
    freeGrantsFrom: null,
  }

  it('owes nothing while held, and nothing before the release or before the account exists', () => {
    expect(freeGrantsOwed(account, T0 + DAY)).toBe(false)
    expect(owedLots(account, LABS_2022, T0 + DAY, new Set())).toEqual([])
    const released = { ...account, freeGrantsFrom: T0 + 9 * DAY }
    expect(freeGrantsOwed(released, T0 + 9 * DAY - 1)).toBe(false)
    expect(owedLots(released, LABS_2022, T0 + 9 * DAY - 1, new Set())).toEqual([])
    expect(freeGrantsOwed({ ...account, freeGrantsFrom: T0 }, T0 - 1)).toBe(false)
    expect(freeGrantsOwed({ ...account, freeGrantsFrom: T0 }, T0)).toBe(true)
  })

  it('once released mid-period, owes the whole period’s allowance from the release, expiring at the period’s end', () => {
    const released = { ...account, freeGrantsFrom: T0 + 9 * DAY }
    expect(owedLots(released, LABS_2022, T0 + 10 * DAY, new Set())).toEqual([
      {
        source: 'monthly',
        amount: 15,
        priority: 10,
        dueAt: T0 + 9 * DAY,
        expiresAt: Date.UTC(2027, 1, 25, 12),
        reference: 'period:2027-01-25',
      },
      {
        source: 'bonus',
        amount: 50,
        priority: 20,
        dueAt: T0 + 10 * DAY,
        expiresAt: Date.UTC(2027, 2, 4, 12),
        reference: 'cohort:beta',
      },
    ])
    // The next period is due at its start, as for any account.
    const next = owedLots(released, LABS_2022, Date.UTC(2027, 1, 26), new Set(['bonus:beta:acct_p']))
    expect(next).toEqual([expect.objectContaining({ source: 'monthly', dueAt: Date.UTC(2027, 1, 25, 12) })])
  })
})

describe.each(BACKENDS)('free grants held through the ledger (%s)', (backend) => {
  const suite = useTestDatabase(backend)
  const pricing = staticPricing(LABS_2022)

  function ledgerAt(at = T0) {
    const clock = new ManualClock(at)
    return { clock, ledger: new Ledger(suite.db, { clock, pricing }) }
  }

  const heldAccount = async (ledger: Ledger, cohorts = ['beta']) =>
    unwrap(await ledger.createAccount({ cohorts, holdFreeGrants: true }))

  it('a held account is owed nothing: its balance is 0, a hold is refused as any shortfall, nothing is granted', async () => {
    const { ledger } = ledgerAt()
    const created = await heldAccount(ledger)
    expect(created).toMatchObject({ cohorts: ['beta'], freeGrantsHeld: true })
    const { accountId } = created
    const balance = unwrap(await ledger.balance(accountId))
    expect(balance).toMatchObject({ available: 0, held: 0, lots: [] })
    expect(balance.owed).toBeUndefined()
    // A look ahead owes nothing either: nobody knows when they will be released.
    expect(unwrap(await ledger.balance(accountId, { at: T0 + 40 * DAY })).available).toBe(0)
    expect(refusal(await ledger.hold({ accountId, amount: 1 }))).toMatchObject({
      code: 'INSUFFICIENT_CREDITS',
      requested: 1,
      available: 0,
    })
    expect(unwrap(await ledger.ensureAllowances(accountId))).toEqual([])
    expect(unwrap(await ledger.history(accountId)).entries).toEqual([])
    expect((await ledger.accountProfiles([accountId])).get(accountId)).toEqual({
      accountId,
      plan: 'free',
      cohorts: ['beta'],
      freeGrantsHeld: true,
    })
    expect(unwrap(await ledger.quote({ operation: 'generate', accountId }))).toMatchObject({
      available: 0,
      affordable: false,
    })
  })

  it('grants and purchases work while held, and holds spend them without granting the allowance', async () => {
    const { ledger } = ledgerAt()
    const { accountId } = await heldAccount(ledger)
    unwrap(await ledger.grant({ accountId, amount: 5, source: 'promotional', reference: 'welcome' }))
    unwrap(
      await ledger.completePurchase({
        accountId,
        packId: 'pack-115',
        quantity: 1,
        amountPaidMinor: 1500,
        currency: 'USD',
        providerReference: `pi_${randomBytes(6).toString('hex')}`,
      }),
    )
    const hold = unwrap(await ledger.hold({ accountId, amount: 6 }))
    unwrap(await ledger.capture({ holdId: hold.holdId }))
    const balance = unwrap(await ledger.balance(accountId))
    expect(balance.available).toBe(114)
    expect(balance.lots.map((l) => [l.source, l.remaining])).toEqual([['purchase', 114]])
    expect(balance.owed).toBeUndefined()
    expect((await ledger.verify()).violations).toEqual([])
  })

  it('released, it is owed this period’s allowance and its bonus from then, granted by the next spend; ledger verify is clean', async () => {
    const { ledger, clock } = ledgerAt()
    const { accountId } = await heldAccount(ledger)
    unwrap(await ledger.grant({ accountId, amount: 2, source: 'promotional' }))
    clock.set(T0 + 9 * DAY)
    const released = unwrap(await ledger.releaseFreeGrants(accountId))
    expect(released).toEqual({ accountId, plan: 'free', cohorts: ['beta'], freeGrantsHeld: false })
    const balance = unwrap(await ledger.balance(accountId))
    expect(balance.available).toBe(67)
    expect(balance.owed).toEqual([
      expect.objectContaining({
        source: 'monthly',
        amount: 15,
        dueAt: T0 + 9 * DAY,
        // Its usual period (from the 25th), not one starting at the release.
        expiresAt: Date.UTC(2027, 1, 25, 12),
      }),
      expect.objectContaining({ source: 'bonus', amount: 50, expiresAt: Date.UTC(2027, 2, 3, 12) }),
    ])
    unwrap(await ledger.hold({ accountId, amount: 1 }))
    const after = unwrap(await ledger.balance(accountId))
    expect(after.lots.map((l) => [l.source, l.amount])).toEqual([
      ['monthly', 15],
      ['bonus', 50],
      ['promotional', 2],
    ])
    expect(after).toMatchObject({ available: 66, held: 1 })
    expect(after.owed).toBeUndefined()
    // The next period is owed at its start, as for any account.
    clock.set(Date.UTC(2027, 1, 25, 12))
    expect(unwrap(await ledger.balance(accountId)).owed).toEqual([
      expect.objectContaining({ source: 'monthly', amount: 15, dueAt: Date.UTC(2027, 1, 25, 12) }),
    ])
    expect((await ledger.verify()).violations).toEqual([])
  })

  it('releasing twice, or an account that never held anything, changes nothing', async () => {
    const { ledger, clock } = ledgerAt()
    const { accountId } = await heldAccount(ledger, [])
    clock.set(T0 + DAY)
    unwrap(await ledger.releaseFreeGrants(accountId))
    clock.set(T0 + 2 * DAY)
    expect(unwrap(await ledger.releaseFreeGrants(accountId)).freeGrantsHeld).toBe(false)
    const row = await suite.db.kysely
      .selectFrom('accounts')
      .select('free_grants_from')
      .where('id', '=', accountId)
      .executeTakeFirstOrThrow()
    expect(row.free_grants_from).toBe(T0 + DAY)

    const plain = unwrap(await ledger.createAccount({}))
    expect(plain.freeGrantsHeld).toBe(false)
    expect(unwrap(await ledger.releaseFreeGrants(plain.accountId)).freeGrantsHeld).toBe(false)
    expect(unwrap(await ledger.balance(plain.accountId)).owed).toEqual([
      expect.objectContaining({ source: 'monthly', dueAt: T0 + 2 * DAY }),
    ])
  })

  it('a cohort joined while held brings its bonus only once released', async () => {
    const { ledger, clock } = ledgerAt()
    const { accountId } = await heldAccount(ledger, [])
    unwrap(await ledger.setAccountCohorts(accountId, ['beta']))
    expect(unwrap(await ledger.balance(accountId)).available).toBe(0)
    clock.set(T0 + DAY)
    unwrap(await ledger.setAccountProfile(accountId, { plan: 'free', releaseFreeGrants: true }))
    expect(unwrap(await ledger.balance(accountId)).available).toBe(65)
  })

  it('composes the caller’s write: a throw rolls the release back with it', async () => {
    const { ledger } = ledgerAt()
    const { accountId } = await heldAccount(ledger)
    class Refused extends Error {}
    await expect(
      ledger.releaseFreeGrants(accountId, {
        alsoWrite: () => {
          throw new Refused('the link was used meanwhile')
        },
      }),
    ).rejects.toBeInstanceOf(Refused)
    expect((await ledger.accountProfiles([accountId])).get(accountId)?.freeGrantsHeld).toBe(true)
    let seen: unknown
    unwrap(
      await ledger.releaseFreeGrants(accountId, {
        alsoWrite: async (tx, profile) => {
          seen = profile
          await tx.run("insert into settings (key, value) values (?, 'released')", [`test:${accountId}`])
        },
      }),
    )
    expect(seen).toMatchObject({ accountId, freeGrantsHeld: false })
    const setting = await suite.db.kysely
      .selectFrom('settings')
      .select('value')
      .where('key', '=', `test:${accountId}`)
      .executeTakeFirst()
    expect(setting?.value).toBe('released')
  })

  it('refuses what is not a request: a flag that is not a boolean, holding again, an unknown account', async () => {
    const { ledger } = ledgerAt()
    expect(
      refusal(await ledger.createAccount({ holdFreeGrants: 'yes' as unknown as boolean })),
    ).toMatchObject({ code: 'VALIDATION', field: 'holdFreeGrants' })
    const { accountId } = await heldAccount(ledger)
    expect(refusal(await ledger.setAccountProfile(accountId, { releaseFreeGrants: false }))).toMatchObject({
      code: 'VALIDATION',
      field: 'releaseFreeGrants',
    })
    expect(refusal(await ledger.releaseFreeGrants('acct_00000000000000000000000000'))).toMatchObject({
      code: 'ACCOUNT_NOT_FOUND',
    })
    expect(refusal(await ledger.releaseFreeGrants('nope'))).toMatchObject({
      code: 'VALIDATION',
      field: 'accountId',
    })
    expect((await ledger.accountProfiles([accountId])).get(accountId)?.freeGrantsHeld).toBe(true)
  })

  it('concurrent first spends after a release grant exactly once', async () => {
    const { ledger, clock } = ledgerAt()
    const { accountId } = await heldAccount(ledger)
    clock.set(T0 + DAY)
    const [released, ...holds] = await Promise.all([
      ledger.releaseFreeGrants(accountId),
      ...Array.from({ length: 10 }, () => ledger.hold({ accountId, amount: 1 })),
    ])
    expect(released!.ok).toBe(true)
    // Holds that ran before the release were refused (nothing owed yet); the rest spent from one grant each.
    const ok = holds.filter((h) => h.ok).length
    for (const h of holds) if (!h.ok) expect(h.error.code).toBe('INSUFFICIENT_CREDITS')
    const grants = unwrap(await ledger.history(accountId, { limit: 100 })).entries.filter(
      (e) => e.kind === 'grant',
    )
    expect(grants.map((g) => g.amount).sort((a, b) => a - b)).toEqual(ok > 0 ? [15, 50] : [])
    expect(unwrap(await ledger.balance(accountId))).toMatchObject({ available: 65 - ok, held: ok })
    expect((await ledger.verify()).violations).toEqual([])
  })
})
