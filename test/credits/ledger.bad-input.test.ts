import { describe, expect, it } from 'vitest'
import type { CreditError, Result } from '../../src/credits/errors.ts'
import { type GrantRequest, type HoldRequest, Ledger, MAX_HOLD_TTL_MS } from '../../src/credits/ledger.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, useTestDatabase } from '../support/backends.ts'
import { unwrap } from '../support/results.ts'

const MIN = 60_000
const DAY = 86_400_000
const MAX = Number.MAX_SAFE_INTEGER

/** Credit amounts no operation may accept. */
const BAD_AMOUNTS: Array<[string, unknown]> = [
  ['negative', -5],
  ['zero', 0],
  ['fractional', 1.5],
  ['NaN', Number.NaN],
  ['numeric string', '5'],
  ['2^53', 2 ** 53],
  ['beyond 2^53', 2 ** 53 + 2],
  ['infinite', Number.POSITIVE_INFINITY],
  ['null', null],
]

/** Ids that are not ids of the expected kind. */
const MALFORMED_ACCOUNT_IDS: Array<[string, unknown]> = [
  ['of another kind', 'lot_01jd3q8z6x4c9m2k7w5e0t1r8b'],
  ['empty', ''],
  ['the bare prefix', 'acct'],
  ['over 100 characters', `acct_${'x'.repeat(96)}`],
  ['a number', 42],
  ['missing', undefined],
]

describe.each(BACKENDS)('ledger refuses bad input and changes nothing (%s)', (backend) => {
  const suite = useTestDatabase(backend)

  /** An account of its own: 10 monthly credits, 3 held by a pending hold, 2 captured; 5 available. */
  async function fundAccount(ledger: Ledger) {
    const { accountId } = unwrap(await ledger.createAccount({ reference: 'bad-input' }))
    unwrap(await ledger.grant({ accountId, amount: 10, source: 'monthly', expiresInMs: 30 * DAY }))
    const [pending, captured] = await Promise.all([
      ledger.hold({ accountId, amount: 3, reference: 'job_pending' }),
      ledger.hold({ accountId, amount: 2, reference: 'job_done' }),
    ])
    const pendingHoldId = unwrap(pending).holdId
    const capturedHoldId = unwrap(captured).holdId
    unwrap(await ledger.capture({ holdId: capturedHoldId }))
    return { accountId, pendingHoldId, capturedHoldId }
  }

  /** Funded accounts made ahead, many at a time, so that group commit shares their setup commits. */
  let ready: Array<Awaited<ReturnType<typeof fundAccount>>> = []

  /**
   * A ledger with a clock of its own (starting at the ManualClock default, when the account was
   * funded) and a funded account that no other test touches. `start` funds one on the spot instead,
   * at another time.
   */
  async function fixture(start?: number) {
    const clock = new ManualClock(start)
    const ledger = new Ledger(suite.db, { clock })
    if (start !== undefined) return { clock, ledger, ...(await fundAccount(ledger)) }
    if (ready.length === 0) {
      const maker = new Ledger(suite.db, { clock: new ManualClock() })
      ready = await Promise.all(Array.from({ length: 32 }, () => fundAccount(maker)))
    }
    return { clock, ledger, ...ready.pop()! }
  }

  type Fixture = Awaited<ReturnType<typeof fixture>>

  /** Everything a caller can observe of the account and the installation. */
  async function observe(f: Pick<Fixture, 'ledger' | 'accountId'>) {
    return {
      balance: await f.ledger.balance(f.accountId),
      history: await f.ledger.history(f.accountId, { limit: 1000 }),
      verify: await f.ledger.verify(),
    }
  }

  /**
   * Runs `attempt`, expects it refused with an error carrying (at least) the fields of `error`, and
   * expects nothing observable to have moved.
   */
  async function expectRefused(
    f: Pick<Fixture, 'ledger' | 'accountId'>,
    attempt: () => Promise<Result<unknown>>,
    error: Partial<CreditError> & Pick<CreditError, 'code'>,
  ): Promise<void> {
    const before = await observe(f)
    expect(before.verify.violations).toEqual([])
    const result = await attempt()
    expect(result).toMatchObject({ ok: false, error: { message: expect.any(String), ...error } })
    const after = await observe(f)
    expect(after.verify.violations).toEqual([])
    expect(after.verify.ok).toBe(true)
    expect(after).toStrictEqual(before)
  }

  describe('amounts', () => {
    it.each(BAD_AMOUNTS)('grant refuses a %s amount', async (_, amount) => {
      const f = await fixture()
      await expectRefused(
        f,
        () => f.ledger.grant({ accountId: f.accountId, amount: amount as number, source: 'purchase' }),
        { code: 'VALIDATION', field: 'amount' },
      )
    })

    it.each(BAD_AMOUNTS)('hold refuses a %s amount', async (_, amount) => {
      const f = await fixture()
      await expectRefused(f, () => f.ledger.hold({ accountId: f.accountId, amount: amount as number }), {
        code: 'VALIDATION',
        field: 'amount',
      })
    })

    it.each(BAD_AMOUNTS)('capture refuses a %s amount', async (_, amount) => {
      const f = await fixture()
      await expectRefused(f, () => f.ledger.capture({ holdId: f.pendingHoldId, amount: amount as number }), {
        code: 'VALIDATION',
        field: 'amount',
      })
    })

    it.each(BAD_AMOUNTS)('refund refuses a %s amount', async (_, amount) => {
      const f = await fixture()
      await expectRefused(f, () => f.ledger.refund({ holdId: f.capturedHoldId, amount: amount as number }), {
        code: 'VALIDATION',
        field: 'amount',
      })
    })

    it('grant refuses a missing amount', async () => {
      const f = await fixture()
      await expectRefused(
        f,
        () => f.ledger.grant({ accountId: f.accountId, source: 'monthly' } as unknown as GrantRequest),
        { code: 'VALIDATION', field: 'amount' },
      )
    })

    it('hold refuses a missing amount', async () => {
      const f = await fixture()
      await expectRefused(f, () => f.ledger.hold({ accountId: f.accountId } as unknown as HoldRequest), {
        code: 'VALIDATION',
        field: 'amount',
      })
    })

    it('grant refuses what would take the balance past 2^53 - 1 credits', async () => {
      const clock = new ManualClock()
      const ledger = new Ledger(suite.db, { clock })
      const { accountId } = unwrap(await ledger.createAccount({}))
      unwrap(await ledger.grant({ accountId, amount: MAX - 5, source: 'adjustment' }))
      unwrap(await ledger.hold({ accountId, amount: 5 }))
      await expectRefused(
        { ledger, accountId },
        () => ledger.grant({ accountId, amount: 6, source: 'bonus' }),
        {
          code: 'VALIDATION',
          field: 'amount',
        },
      )
    })
  })

  describe('unknown accounts and holds', () => {
    const UNKNOWN_ACCOUNT = 'acct_00000000000000000000000000'
    const UNKNOWN_HOLD = 'hold_00000000000000000000000000'

    it('grant to an unknown account is ACCOUNT_NOT_FOUND and creates no account', async () => {
      const f = await fixture()
      await expectRefused(
        f,
        () => f.ledger.grant({ accountId: UNKNOWN_ACCOUNT, amount: 5, source: 'bonus' }),
        {
          code: 'ACCOUNT_NOT_FOUND',
          accountId: UNKNOWN_ACCOUNT,
        },
      )
      expect(await f.ledger.balance(UNKNOWN_ACCOUNT)).toMatchObject({
        ok: false,
        error: { code: 'ACCOUNT_NOT_FOUND' },
      })
    })

    it('hold on an unknown account is ACCOUNT_NOT_FOUND', async () => {
      const f = await fixture()
      await expectRefused(f, () => f.ledger.hold({ accountId: UNKNOWN_ACCOUNT, amount: 1 }), {
        code: 'ACCOUNT_NOT_FOUND',
        accountId: UNKNOWN_ACCOUNT,
      })
    })

    it('balance and history of an unknown account are ACCOUNT_NOT_FOUND', async () => {
      const f = await fixture()
      const notFound = { code: 'ACCOUNT_NOT_FOUND', accountId: UNKNOWN_ACCOUNT } as const
      await expectRefused(f, () => f.ledger.balance(UNKNOWN_ACCOUNT), notFound)
      await expectRefused(f, () => f.ledger.history(UNKNOWN_ACCOUNT), notFound)
    })

    it('capture, release and refund of an unknown hold are HOLD_NOT_FOUND', async () => {
      const f = await fixture()
      const notFound = { code: 'HOLD_NOT_FOUND', holdId: UNKNOWN_HOLD } as const
      await expectRefused(f, () => f.ledger.capture({ holdId: UNKNOWN_HOLD }), notFound)
      await expectRefused(f, () => f.ledger.release({ holdId: UNKNOWN_HOLD }), notFound)
      await expectRefused(f, () => f.ledger.refund({ holdId: UNKNOWN_HOLD }), notFound)
    })
  })

  describe('malformed ids', () => {
    it.each(MALFORMED_ACCOUNT_IDS)('grant refuses an account id that is %s', async (_, accountId) => {
      const f = await fixture()
      await expectRefused(
        f,
        () => f.ledger.grant({ accountId: accountId as string, amount: 1, source: 'bonus' }),
        { code: 'VALIDATION', field: 'accountId' },
      )
    })

    it.each(MALFORMED_ACCOUNT_IDS)('hold refuses an account id that is %s', async (_, accountId) => {
      const f = await fixture()
      await expectRefused(f, () => f.ledger.hold({ accountId: accountId as string, amount: 1 }), {
        code: 'VALIDATION',
        field: 'accountId',
      })
    })

    it.each(MALFORMED_ACCOUNT_IDS)('balance and history refuse an account id that is %s', async (_, id) => {
      const f = await fixture()
      const refusal = { code: 'VALIDATION', field: 'accountId' } as const
      await expectRefused(f, () => f.ledger.balance(id as string), refusal)
      await expectRefused(f, () => f.ledger.history(id as string), refusal)
    })

    it('capture, release and refund refuse an account id given as a hold id', async () => {
      const f = await fixture()
      const refusal = { code: 'VALIDATION', field: 'holdId' } as const
      await expectRefused(f, () => f.ledger.capture({ holdId: f.accountId }), refusal)
      await expectRefused(f, () => f.ledger.release({ holdId: f.accountId }), refusal)
      await expectRefused(f, () => f.ledger.refund({ holdId: f.accountId }), refusal)
    })

    it.each([
      ['empty', ''],
      ['over 100 characters', `hold_${'x'.repeat(96)}`],
      ['not a string', 7],
    ])('capture, release and refund refuse a hold id that is %s', async (_, holdId) => {
      const f = await fixture()
      const refusal = { code: 'VALIDATION', field: 'holdId' } as const
      await expectRefused(f, () => f.ledger.capture({ holdId: holdId as string }), refusal)
      await expectRefused(f, () => f.ledger.release({ holdId: holdId as string }), refusal)
      await expectRefused(f, () => f.ledger.refund({ holdId: holdId as string }), refusal)
    })

    it('createAccount refuses an id of another kind and an over-long reference', async () => {
      const f = await fixture()
      await expectRefused(f, () => f.ledger.createAccount({ id: 'user_01jd3q8z6x4c9m2k7w5e0t1r8b' }), {
        code: 'VALIDATION',
        field: 'id',
      })
      await expectRefused(f, () => f.ledger.createAccount({ reference: 'r'.repeat(501) }), {
        code: 'VALIDATION',
        field: 'reference',
      })
    })

    it('createAccount refuses an id that is taken with ACCOUNT_EXISTS', async () => {
      const f = await fixture()
      await expectRefused(f, () => f.ledger.createAccount({ id: f.accountId }), {
        code: 'ACCOUNT_EXISTS',
        accountId: f.accountId,
      })
    })

    it('history refuses a cursor that is not a transaction id', async () => {
      const f = await fixture()
      await expectRefused(f, () => f.ledger.history(f.accountId, { before: f.pendingHoldId }), {
        code: 'VALIDATION',
        field: 'before',
      })
    })
  })

  describe('grant terms', () => {
    it.each([
      ['an unknown source', 'gift'],
      ['an empty source', ''],
      ['an upper-case source', 'MONTHLY'],
      ['a missing source', undefined],
    ])('grant refuses %s', async (_, source) => {
      const f = await fixture()
      await expectRefused(
        f,
        () => f.ledger.grant({ accountId: f.accountId, amount: 1, source: source as 'monthly' }),
        { code: 'VALIDATION', field: 'source' },
      )
    })

    it.each([
      ['negative', -1],
      ['above 1000', 1001],
      ['fractional', 2.5],
      ['NaN', Number.NaN],
      ['a numeric string', '10'],
    ])('grant refuses a priority that is %s', async (_, priority) => {
      const f = await fixture()
      await expectRefused(
        f,
        () =>
          f.ledger.grant({
            accountId: f.accountId,
            amount: 1,
            source: 'bonus',
            priority: priority as number,
          }),
        { code: 'VALIDATION', field: 'priority' },
      )
    })

    it.each<[string, (now: number) => Partial<GrantRequest>, string]>([
      ['an expiry in the past', (now) => ({ expiresAt: now - 1 }), 'expiresAt'],
      ['an expiry at this very moment', (now) => ({ expiresAt: now }), 'expiresAt'],
      ['a fractional expiry', (now) => ({ expiresAt: now + 0.5 }), 'expiresAt'],
      [
        'an expiry given as a date string',
        () => ({ expiresAt: '2027-01-01' as unknown as number }),
        'expiresAt',
      ],
      ['both expiresAt and expiresInMs', (now) => ({ expiresAt: now + DAY, expiresInMs: DAY }), 'expiresAt'],
      ['a zero lifetime', () => ({ expiresInMs: 0 }), 'expiresInMs'],
      ['a negative lifetime', () => ({ expiresInMs: -DAY }), 'expiresInMs'],
      ['a fractional lifetime', () => ({ expiresInMs: 1.5 }), 'expiresInMs'],
      ['a lifetime as a string', () => ({ expiresInMs: '30d' as unknown as number }), 'expiresInMs'],
    ])('grant refuses %s', async (_, terms, field) => {
      const f = await fixture()
      await expectRefused(
        f,
        () => f.ledger.grant({ accountId: f.accountId, amount: 1, source: 'bonus', ...terms(f.clock.now()) }),
        { code: 'VALIDATION', field },
      )
    })

    it('grant refuses a lifetime that would put the expiry past 2^53 - 1 ms', async () => {
      // A bare account with no holds: should the grant go through, nothing else sweeps this account
      // and trips over its unreadable expiry.
      const ledger = new Ledger(suite.db, { clock: new ManualClock() })
      const { accountId } = unwrap(await ledger.createAccount({}))
      await expectRefused(
        { ledger, accountId },
        () => ledger.grant({ accountId, amount: 1, source: 'bonus', expiresInMs: MAX }),
        { code: 'VALIDATION' },
      )
    })

    it.each([
      ['lower case', 'usd'],
      ['two letters', 'US'],
      ['four letters', 'USDT'],
      ['empty', ''],
      ['a numeric code', 840],
      ['missing', undefined],
    ])('grant refuses a cost basis currency that is %s', async (_, currency) => {
      const f = await fixture()
      const costBasis = { amountMinor: 1500, currency: currency as string }
      await expectRefused(
        f,
        () => f.ledger.grant({ accountId: f.accountId, amount: 115, source: 'purchase', costBasis }),
        { code: 'VALIDATION', field: 'costBasis.currency' },
      )
    })

    it.each([
      ['negative', -1],
      ['fractional', 14.99],
      ['a string', '1500'],
      ['NaN', Number.NaN],
      ['beyond 2^53', 2 ** 53],
    ])('grant refuses a cost basis amount that is %s', async (_, amountMinor) => {
      const f = await fixture()
      const costBasis = { amountMinor: amountMinor as number, currency: 'USD' }
      await expectRefused(
        f,
        () => f.ledger.grant({ accountId: f.accountId, amount: 115, source: 'purchase', costBasis }),
        { code: 'VALIDATION', field: 'costBasis.amountMinor' },
      )
    })

    it('grant refuses a cost basis that is not an object, as a value rather than a crash', async () => {
      const f = await fixture()
      await expectRefused(
        f,
        () =>
          f.ledger.grant({
            accountId: f.accountId,
            amount: 115,
            source: 'purchase',
            costBasis: null as unknown as GrantRequest['costBasis'],
          }),
        { code: 'VALIDATION' },
      )
    })

    it('grant refuses a reference over 500 characters', async () => {
      const f = await fixture()
      await expectRefused(
        f,
        () =>
          f.ledger.grant({ accountId: f.accountId, amount: 1, source: 'bonus', reference: 'r'.repeat(501) }),
        { code: 'VALIDATION', field: 'reference' },
      )
    })
  })

  describe('holds', () => {
    it.each([
      ['zero', 0],
      ['negative', -MIN],
      ['fractional', 1.5],
      ['longer than the maximum', MAX_HOLD_TTL_MS + 1],
      ['NaN', Number.NaN],
      ['a string', '60000'],
    ])('hold refuses a TTL that is %s', async (_, ttlMs) => {
      const f = await fixture()
      await expectRefused(
        f,
        () => f.ledger.hold({ accountId: f.accountId, amount: 1, ttlMs: ttlMs as number }),
        {
          code: 'VALIDATION',
          field: 'ttlMs',
        },
      )
    })

    it('hold refuses a reference over 500 characters', async () => {
      const f = await fixture()
      await expectRefused(
        f,
        () => f.ledger.hold({ accountId: f.accountId, amount: 1, reference: 'j'.repeat(501) }),
        { code: 'VALIDATION', field: 'reference' },
      )
    })

    it('hold of more than is available is INSUFFICIENT_CREDITS, counting held credits as unavailable', async () => {
      const f = await fixture()
      await expectRefused(f, () => f.ledger.hold({ accountId: f.accountId, amount: 6 }), {
        code: 'INSUFFICIENT_CREDITS',
        requested: 6,
        available: 5,
      })
    })

    it('hold on an account without credits is INSUFFICIENT_CREDITS with 0 available', async () => {
      const clock = new ManualClock()
      const ledger = new Ledger(suite.db, { clock })
      const { accountId } = unwrap(await ledger.createAccount({}))
      await expectRefused({ ledger, accountId }, () => ledger.hold({ accountId, amount: 1 }), {
        code: 'INSUFFICIENT_CREDITS',
        requested: 1,
        available: 0,
      })
    })

    it('hold refused for want of credits changes nothing, even with an expired lot not yet swept', async () => {
      const clock = new ManualClock()
      const ledger = new Ledger(suite.db, { clock })
      const { accountId } = unwrap(await ledger.createAccount({}))
      unwrap(await ledger.grant({ accountId, amount: 5, source: 'monthly', expiresInMs: DAY }))
      unwrap(await ledger.grant({ accountId, amount: 3, source: 'purchase' }))
      clock.advance(2 * DAY)
      await expectRefused({ ledger, accountId }, () => ledger.hold({ accountId, amount: 4 }), {
        code: 'INSUFFICIENT_CREDITS',
        requested: 4,
        available: 3,
      })
    })

    it('hold refused for want of credits changes nothing, even with an overdue hold not yet swept', async () => {
      const clock = new ManualClock()
      const ledger = new Ledger(suite.db, { clock })
      const { accountId } = unwrap(await ledger.createAccount({}))
      unwrap(await ledger.grant({ accountId, amount: 5, source: 'purchase' }))
      unwrap(await ledger.hold({ accountId, amount: 4, ttlMs: MIN }))
      clock.advance(2 * MIN)
      await expectRefused({ ledger, accountId }, () => ledger.hold({ accountId, amount: 6 }), {
        code: 'INSUFFICIENT_CREDITS',
        requested: 6,
        available: 5,
      })
    })
  })

  describe('settlement', () => {
    it('capture of more than is held is refused', async () => {
      const f = await fixture()
      await expectRefused(f, () => f.ledger.capture({ holdId: f.pendingHoldId, amount: 4 }), {
        code: 'VALIDATION',
        field: 'amount',
      })
    })

    it('refund of more than was captured is REFUND_EXCEEDS_CAPTURE', async () => {
      const f = await fixture()
      await expectRefused(f, () => f.ledger.refund({ holdId: f.capturedHoldId, amount: 3 }), {
        code: 'REFUND_EXCEEDS_CAPTURE',
        holdId: f.capturedHoldId,
        refundable: 2,
      })
    })

    it('refund of more than is left after a partial refund is REFUND_EXCEEDS_CAPTURE', async () => {
      const f = await fixture()
      unwrap(await f.ledger.refund({ holdId: f.capturedHoldId, amount: 1 }))
      await expectRefused(f, () => f.ledger.refund({ holdId: f.capturedHoldId, amount: 2 }), {
        code: 'REFUND_EXCEEDS_CAPTURE',
        refundable: 1,
      })
    })

    it('refund of a fully refunded capture is REFUND_EXCEEDS_CAPTURE with nothing refundable', async () => {
      const f = await fixture()
      unwrap(await f.ledger.refund({ holdId: f.capturedHoldId }))
      await expectRefused(f, () => f.ledger.refund({ holdId: f.capturedHoldId }), {
        code: 'REFUND_EXCEEDS_CAPTURE',
        refundable: 0,
      })
      await expectRefused(f, () => f.ledger.refund({ holdId: f.capturedHoldId, amount: 1 }), {
        code: 'REFUND_EXCEEDS_CAPTURE',
        refundable: 0,
      })
    })

    it('refund of a hold that was never captured is HOLD_NOT_CAPTURED', async () => {
      const f = await fixture()
      await expectRefused(f, () => f.ledger.refund({ holdId: f.pendingHoldId }), {
        code: 'HOLD_NOT_CAPTURED',
        holdId: f.pendingHoldId,
        status: 'pending',
      })
      unwrap(await f.ledger.release({ holdId: f.pendingHoldId }))
      await expectRefused(f, () => f.ledger.refund({ holdId: f.pendingHoldId }), {
        code: 'HOLD_NOT_CAPTURED',
        status: 'released',
      })
    })

    it('refund refuses a reason over 500 characters', async () => {
      const f = await fixture()
      await expectRefused(f, () => f.ledger.refund({ holdId: f.capturedHoldId, reason: 'x'.repeat(501) }), {
        code: 'VALIDATION',
        field: 'reason',
      })
    })

    it('settling a captured hold again is HOLD_ALREADY_SETTLED', async () => {
      const f = await fixture()
      const settled = { code: 'HOLD_ALREADY_SETTLED', holdId: f.capturedHoldId, status: 'captured' } as const
      await expectRefused(f, () => f.ledger.capture({ holdId: f.capturedHoldId }), settled)
      await expectRefused(f, () => f.ledger.capture({ holdId: f.capturedHoldId, amount: 1 }), settled)
      await expectRefused(f, () => f.ledger.release({ holdId: f.capturedHoldId }), settled)
    })

    it('settling a released hold again is HOLD_ALREADY_SETTLED', async () => {
      const f = await fixture()
      unwrap(await f.ledger.release({ holdId: f.pendingHoldId }))
      const settled = { code: 'HOLD_ALREADY_SETTLED', holdId: f.pendingHoldId, status: 'released' } as const
      await expectRefused(f, () => f.ledger.release({ holdId: f.pendingHoldId }), settled)
      await expectRefused(f, () => f.ledger.capture({ holdId: f.pendingHoldId }), settled)
    })

    it('settling a hold whose TTL has run out is HOLD_EXPIRED, from the very moment it ends', async () => {
      const f = await fixture()
      const { holdId, expiresAt } = unwrap(
        await f.ledger.hold({ accountId: f.accountId, amount: 1, ttlMs: MIN }),
      )
      f.clock.set(expiresAt)
      const expired = { code: 'HOLD_EXPIRED', holdId, expiredAt: expiresAt } as const
      await expectRefused(f, () => f.ledger.capture({ holdId }), expired)
      await expectRefused(f, () => f.ledger.capture({ holdId, amount: 1 }), expired)
      await expectRefused(f, () => f.ledger.release({ holdId }), expired)
      f.clock.advance(DAY)
      await expectRefused(f, () => f.ledger.capture({ holdId }), expired)
    })

    it('settling a hold the expiry sweep has released is HOLD_EXPIRED, as it was before the sweep', async () => {
      // A year before every other test's clock, so that the sweep finds this account's hold alone.
      const f = await fixture(Date.UTC(2025, 0, 1))
      f.clock.advance(20 * MIN)
      expect(await f.ledger.expireDue()).toMatchObject({ accounts: 1, holdsReleased: 1 })
      const settled = { code: 'HOLD_EXPIRED', holdId: f.pendingHoldId } as const
      await expectRefused(f, () => f.ledger.capture({ holdId: f.pendingHoldId }), settled)
      await expectRefused(f, () => f.ledger.release({ holdId: f.pendingHoldId }), settled)
    })
  })

  describe('idempotency keys', () => {
    const TOO_LONG = 'k'.repeat(256)

    it.each([
      ['over 255 characters', TOO_LONG],
      ['empty', ''],
      ['not a string', 12345],
    ])('every operation refuses an idempotency key that is %s', async (_, key) => {
      const f = await fixture()
      const idempotencyKey = key as string
      const refusal = { code: 'VALIDATION', field: 'idempotencyKey' } as const
      await expectRefused(f, () => f.ledger.createAccount({ idempotencyKey }), refusal)
      await expectRefused(
        f,
        () => f.ledger.grant({ accountId: f.accountId, amount: 1, source: 'bonus', idempotencyKey }),
        refusal,
      )
      await expectRefused(
        f,
        () => f.ledger.hold({ accountId: f.accountId, amount: 1, idempotencyKey }),
        refusal,
      )
      await expectRefused(f, () => f.ledger.capture({ holdId: f.pendingHoldId, idempotencyKey }), refusal)
      await expectRefused(f, () => f.ledger.release({ holdId: f.pendingHoldId, idempotencyKey }), refusal)
      await expectRefused(f, () => f.ledger.refund({ holdId: f.capturedHoldId, idempotencyKey }), refusal)
    })

    it('accepts a key of exactly 255 characters', async () => {
      const f = await fixture()
      const idempotencyKey = `${f.accountId}:${'k'.repeat(255 - f.accountId.length - 1)}`
      expect(idempotencyKey).toHaveLength(255)
      const result = await f.ledger.hold({ accountId: f.accountId, amount: 1, idempotencyKey })
      expect(result.ok).toBe(true)
    })
  })

  describe('reads', () => {
    it.each([0, 1001, 2.5])('history refuses a page size of %s', async (limit) => {
      const f = await fixture()
      await expectRefused(f, () => f.ledger.history(f.accountId, { limit }), {
        code: 'VALIDATION',
        field: 'limit',
      })
    })

    it('balance refuses a moment that is not a whole millisecond', async () => {
      const f = await fixture()
      await expectRefused(f, () => f.ledger.balance(f.accountId, { at: 1.5 }), {
        code: 'VALIDATION',
        field: 'at',
      })
    })
  })
})
