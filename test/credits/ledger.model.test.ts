import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Balance, type CreditError, Ledger, type Result } from '../../src/credits/index.ts'
import type { Database } from '../../src/db/open.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts'
import {
  LedgerModel,
  MODEL_SOURCES,
  type ModelBalance,
  type ModelError,
  type ModelHold,
  type ModelResult,
  type ModelSource,
} from './support/ledger-model.ts'

// Random sequences of grant / hold / capture / release / refund / expireDue / clock moves, run on
// the real ledger and on an in-memory model (support/ledger-model.ts); after every step the
// balances, each lot, the journal's totals and every invariant (`verify()`) must agree.

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
/** `hold()` without `ttlMs` lives this long (the documented default). */
const DEFAULT_TTL = 15 * MINUTE
const ACCOUNTS = 2
const NUM_RUNS = 50
const MAX_COMMANDS = 40

interface Real {
  ledger: Ledger
  clock: ManualClock
  accounts: string[]
  /** Real lot and hold ids, by the model's lot and hold indices. */
  lots: string[]
  holds: string[]
}

type LedgerCommand = fc.AsyncCommand<LedgerModel, Real>

// ---------------------------------------------------------------------------------------------
// Comparing the two sides

// The model predicts only codes the ledger has: a misspelt one fails to compile.
const _modelCodes: ReadonlyArray<CreditError['code']> = [] as ModelError['code'][]

function expectRefusal(got: Result<unknown>, expected: ModelError, step: string): void {
  expect(got.ok, `${step}: ${JSON.stringify(got)}`).toBe(false)
  if (got.ok) return
  if (expected.code === 'HOLD_NOT_CAPTURED' && expected.status === 'expired') {
    // Until a sweep records the lapse the row still says pending; either status is fair here.
    expect(got.error.code, step).toBe('HOLD_NOT_CAPTURED')
    expect(['pending', 'expired'], step).toContain((got.error as { status: string }).status)
    return
  }
  expect(got.error, step).toMatchObject(expected)
}

/** Asserts `got` succeeded like `expected` did, or failed the same way; returns the value if it succeeded. */
function expectOutcome<T, M>(got: Result<T>, expected: ModelResult<M>, step: string): T | null {
  if (!expected.ok) {
    expectRefusal(got, expected.error, step)
    return null
  }
  expect(got.ok, `${step}: ${JSON.stringify(got)}`).toBe(true)
  return got.ok ? got.value : null
}

function realBalanceView(b: Balance) {
  return {
    available: b.available,
    held: b.held,
    lots: b.lots.map((l) => ({ id: l.id, remaining: l.remaining, held: l.held })),
    holds: b.holds
      .map((h) => ({ id: h.id, amount: h.amount, expiresAt: h.expiresAt }))
      .sort((x, y) => x.expiresAt - y.expiresAt || (x.id < y.id ? -1 : 1)),
  }
}

function modelBalanceView(b: ModelBalance, real: Real) {
  return {
    available: b.available,
    held: b.held,
    lots: b.lots.map((l) => ({ id: real.lots[l.lot]!, remaining: l.remaining, held: l.held })),
    holds: b.holds
      .map((h) => ({ id: real.holds[h.hold]!, amount: h.amount, expiresAt: h.expiresAt }))
      .sort((x, y) => x.expiresAt - y.expiresAt || (x.id < y.id ? -1 : 1)),
  }
}

/** What the journal says the account has consumed and lost to expiry, summed over its history. */
async function journalTotals(
  ledger: Ledger,
  accountId: string,
): Promise<{ consumed: number; expired: number }> {
  const totals = { consumed: 0, expired: 0 }
  let before: string | undefined
  for (;;) {
    const page = await ledger.history(accountId, { limit: 1000, ...(before ? { before } : {}) })
    if (!page.ok) throw new Error(JSON.stringify(page.error))
    for (const e of page.value.entries) {
      totals.consumed += e.changes.consumed ?? 0
      totals.expired += e.changes.expired ?? 0
    }
    if (!page.value.nextCursor) return totals
    before = page.value.nextCursor
  }
}

/**
 * The checks after every step: each account's balance (available, held, every lot with its
 * remaining and held credits in burn order, the pending holds) equals the model's; the journal has
 * consumed what the model consumed and never expired more than the model (all of it once swept);
 * and `verify()` finds no violation anywhere in the database.
 */
async function expectAgreement(model: LedgerModel, real: Real, step: string, swept = false): Promise<void> {
  for (const [account, accountId] of real.accounts.entries()) {
    const got = await real.ledger.balance(accountId)
    if (!got.ok) throw new Error(`${step}: balance of ${accountId}: ${JSON.stringify(got.error)}`)
    expect(got.value.at, step).toBe(model.now)
    expect(realBalanceView(got.value), `${step}: balance of account ${account}`).toEqual(
      modelBalanceView(model.balance(account), real),
    )
    const journal = await journalTotals(real.ledger, accountId)
    const expected = model.totals(account)
    expect(journal.consumed, `${step}: consumed by account ${account}`).toBe(expected.consumed)
    if (swept) expect(journal.expired, `${step}: expired of account ${account}`).toBe(expected.expired)
    else
      expect(journal.expired, `${step}: expired of account ${account}`).toBeLessThanOrEqual(expected.expired)
  }
  const report = await real.ledger.verify()
  expect(report.violations, `${step}: verify()`).toEqual([])
  expect(report.ok, step).toBe(true)
}

// ---------------------------------------------------------------------------------------------
// Commands

type Expiry =
  | { kind: 'never'; absolute: boolean }
  | { kind: 'in'; ms: number; absolute: boolean }
  /** Midnight UTC `days` ahead: lots granted at different times then share an expiry. */
  | { kind: 'midnight'; days: number }

function expiryAt(expiry: Expiry, now: number): number | null {
  switch (expiry.kind) {
    case 'never':
      return null
    case 'in':
      return now + expiry.ms
    case 'midnight':
      return (Math.floor(now / DAY) + expiry.days) * DAY
  }
}

function describeExpiry(expiry: Expiry): string {
  switch (expiry.kind) {
    case 'never':
      return expiry.absolute ? 'expiresAt null' : 'never expires'
    case 'in':
      return `${expiry.absolute ? 'expiresAt now+' : 'expiresInMs '}${expiry.ms}`
    case 'midnight':
      return `expiresAt midnight+${expiry.days}d`
  }
}

class GrantCommand implements LedgerCommand {
  constructor(
    readonly account: number,
    readonly source: ModelSource,
    readonly amount: number,
    readonly priority: number | undefined,
    readonly expiry: Expiry,
  ) {}
  check = () => true
  async run(model: LedgerModel, real: Real): Promise<void> {
    const step = this.toString()
    const expiresAt = expiryAt(this.expiry, model.now)
    const lot = model.grant(this.account, {
      source: this.source,
      amount: this.amount,
      ...(this.priority === undefined ? {} : { priority: this.priority }),
      expiresAt,
    })
    const got = await real.ledger.grant({
      accountId: real.accounts[this.account]!,
      source: this.source,
      amount: this.amount,
      ...(this.priority === undefined ? {} : { priority: this.priority }),
      ...(this.expiry.kind === 'in' && !this.expiry.absolute
        ? { expiresInMs: this.expiry.ms }
        : this.expiry.kind === 'never' && !this.expiry.absolute
          ? {}
          : { expiresAt }),
    })
    if (!got.ok) throw new Error(`${step}: ${JSON.stringify(got.error)}`)
    expect(got.value, step).toMatchObject({
      amount: lot.amount,
      source: lot.source,
      priority: lot.priority,
      grantedAt: lot.grantedAt,
      expiresAt: lot.expiresAt,
    })
    real.lots.push(got.value.lotId)
    await expectAgreement(model, real, step)
  }
  toString(): string {
    const priority = this.priority === undefined ? '' : ` priority ${this.priority}`
    return `grant(acct${this.account}, ${this.amount} ${this.source}${priority}, ${describeExpiry(this.expiry)})`
  }
}

/**
 * A hold of a fixed amount on the given account, or of 1 … available + 1 credits (one too many is
 * refused) on the first account, from the given one, that has credits to spend.
 */
type HoldSize = { kind: 'fixed'; amount: number } | { kind: 'fitting'; n: number }

class HoldCommand implements LedgerCommand {
  private resolved: { account: number; amount: number } | undefined
  constructor(
    readonly account: number,
    readonly size: HoldSize,
    readonly ttlMs: number | undefined,
  ) {}
  check = () => true
  async run(model: LedgerModel, real: Real): Promise<void> {
    let account = this.account
    let amount: number
    if (this.size.kind === 'fixed') amount = this.size.amount
    else {
      for (let i = 0; i < ACCOUNTS; i++) {
        account = (this.account + i) % ACCOUNTS
        if (model.balance(account).available > 0) break
      }
      amount = ((this.size.n - 1) % (model.balance(account).available + 1)) + 1
    }
    this.resolved = { account, amount }
    const step = this.toString()
    const expected = model.hold(account, amount, this.ttlMs ?? DEFAULT_TTL)
    const got = await real.ledger.hold({
      accountId: real.accounts[account]!,
      amount,
      ...(this.ttlMs === undefined ? {} : { ttlMs: this.ttlMs }),
    })
    const value = expectOutcome(got, expected, step)
    if (value && expected.ok) {
      // Where the credits came from, lot by lot, in burn order.
      const allocations: Array<{ lotId: string; amount: number }> = []
      for (const lot of expected.value.units) {
        const lotId = real.lots[lot]!
        const last = allocations[allocations.length - 1]
        if (last?.lotId === lotId) last.amount++
        else allocations.push({ lotId, amount: 1 })
      }
      expect(value, step).toMatchObject({
        amount,
        createdAt: model.now,
        expiresAt: expected.value.expiresAt,
        allocations,
      })
      real.holds.push(value.holdId)
    }
    await expectAgreement(model, real, step)
  }
  toString(): string {
    const ttl = this.ttlMs === undefined ? '' : `, ttl ${this.ttlMs}`
    if (this.resolved) return `hold(acct${this.resolved.account}, ${this.resolved.amount}${ttl})`
    const amount = this.size.kind === 'fixed' ? this.size.amount : `fitting ${this.size.n}`
    return `hold(acct${this.account}, ${amount}${ttl})`
  }
}

/**
 * A command on one of the holds made so far, of any account and in any state; or, when `targeted`,
 * on one it can act on (a pending hold for a capture, a captured one for a refund), and only if
 * there is one. `pick` counts back from the newest, so small picks (which fast-check favours and
 * shrinks to) mean recent holds.
 */
abstract class OnHoldCommand implements LedgerCommand {
  /** The hold it ended up on, for the report. */
  protected target: number | undefined
  constructor(
    readonly pick: number,
    readonly targeted: boolean,
  ) {}
  check = (model: Readonly<LedgerModel>) => this.candidates(model).length > 0
  /** Whether the command can act on this hold. */
  protected abstract wanted(hold: ModelHold): boolean
  private candidates(model: Readonly<LedgerModel>): readonly ModelHold[] {
    return this.targeted ? model.holds.filter((h) => this.wanted(h)) : model.holds
  }
  protected resolve(model: LedgerModel): number {
    const pool = this.candidates(model)
    this.target = pool[pool.length - 1 - (this.pick % pool.length)]!.index
    return this.target
  }
  protected get holdName(): string {
    return this.target === undefined ? `hold pick ${this.pick}` : `hold#${this.target}`
  }
  abstract run(model: LedgerModel, real: Real): Promise<void>
  abstract toString(): string
}

/**
 * How much of a hold to capture or of a capture to refund, relative to what there is: all of it
 * (the amount left out), a part (1 … all), or a little too much (refused).
 */
type Size = { kind: 'all' } | { kind: 'part'; n: number } | { kind: 'over'; by: number }

function sizeOf(size: Size, all: number): number | undefined {
  switch (size.kind) {
    case 'all':
      return undefined
    case 'part':
      return ((size.n - 1) % Math.max(all, 1)) + 1
    case 'over':
      return all + size.by
  }
}

function describeSize(size: Size): string | undefined {
  return size.kind === 'all' ? undefined : size.kind === 'part' ? `part ${size.n}` : `all + ${size.by}`
}

class CaptureCommand extends OnHoldCommand {
  private amount: number | undefined
  constructor(
    pick: number,
    targeted: boolean,
    readonly size: Size,
  ) {
    super(pick, targeted)
  }
  protected wanted(hold: ModelHold): boolean {
    return hold.status === 'pending'
  }
  async run(model: LedgerModel, real: Real): Promise<void> {
    const index = this.resolve(model)
    const hold = model.holds[index]!
    this.amount = sizeOf(this.size, hold.amount)
    const step = this.toString()
    const expected = model.capture(index, this.amount)
    const got = await real.ledger.capture({
      holdId: real.holds[index]!,
      ...(this.amount === undefined ? {} : { amount: this.amount }),
    })
    const value = expectOutcome(got, expected, step)
    if (value && expected.ok) {
      expect(value, step).toMatchObject({
        accountId: real.accounts[expected.value.account],
        captured: expected.value.captured,
        returned: expected.value.returned,
      })
    }
    await expectAgreement(model, real, step)
  }
  toString(): string {
    const amount = this.target === undefined ? describeSize(this.size) : this.amount
    return `capture(${this.holdName}${amount === undefined ? '' : `, ${amount}`})`
  }
}

class ReleaseCommand extends OnHoldCommand {
  protected wanted(hold: ModelHold): boolean {
    return hold.status === 'pending'
  }
  async run(model: LedgerModel, real: Real): Promise<void> {
    const index = this.resolve(model)
    const step = this.toString()
    const expected = model.release(index)
    const got = await real.ledger.release({ holdId: real.holds[index]! })
    const value = expectOutcome(got, expected, step)
    if (value && expected.ok) {
      expect(value, step).toMatchObject({
        accountId: real.accounts[expected.value.account],
        released: expected.value.released,
      })
    }
    await expectAgreement(model, real, step)
  }
  toString(): string {
    return `release(${this.holdName})`
  }
}

class RefundCommand extends OnHoldCommand {
  private amount: number | undefined
  constructor(
    pick: number,
    targeted: boolean,
    readonly size: Size,
  ) {
    super(pick, targeted)
  }
  protected wanted(hold: ModelHold): boolean {
    return hold.status === 'captured' && hold.consumed.length > 0
  }
  async run(model: LedgerModel, real: Real): Promise<void> {
    const index = this.resolve(model)
    const hold = model.holds[index]!
    this.amount = sizeOf(this.size, hold.captured - hold.refunded)
    const step = this.toString()
    const expected = model.refund(index, this.amount)
    const got = await real.ledger.refund({
      holdId: real.holds[index]!,
      ...(this.amount === undefined ? {} : { amount: this.amount }),
    })
    const value = expectOutcome(got, expected, step)
    if (value && expected.ok) {
      expect(value, step).toMatchObject({
        accountId: real.accounts[expected.value.account],
        refunded: expected.value.refunded,
        expired: expected.value.expired,
        refundable: expected.value.refundable,
      })
    }
    await expectAgreement(model, real, step)
  }
  toString(): string {
    const amount = this.target === undefined ? describeSize(this.size) : this.amount
    return `refund(${this.holdName}${amount === undefined ? '' : `, ${amount}`})`
  }
}

class ExpireDueCommand implements LedgerCommand {
  check = () => true
  async run(model: LedgerModel, real: Real): Promise<void> {
    await real.ledger.expireDue()
    // Everything time has done is on the record now: the journal's expiries match the model's.
    await expectAgreement(model, real, this.toString(), true)
  }
  toString(): string {
    return 'expireDue()'
  }
}

/** Moves the clock; first checks that a balance asked for that moment predicts what we will see. */
async function moveClock(model: LedgerModel, real: Real, to: number, step: string): Promise<void> {
  const later = model.clone()
  later.advanceTo(to)
  for (const [account, accountId] of real.accounts.entries()) {
    const projected = await real.ledger.balance(accountId, { at: to })
    if (!projected.ok) throw new Error(`${step}: ${JSON.stringify(projected.error)}`)
    expect(realBalanceView(projected.value), `${step}: balance of account ${account} at ${to}`).toEqual(
      modelBalanceView(later.balance(account), real),
    )
  }
  model.advanceTo(to)
  real.clock.set(to)
  await expectAgreement(model, real, step)
}

/**
 * The end of every run: time passes every deadline and a sweep runs, after which no hold is left
 * pending (each ended captured or released) and every expiry is on the record.
 */
async function expectEverythingSettles(model: LedgerModel, real: Real): Promise<void> {
  const last = model.lastDeadline()
  if (last !== null) await moveClock(model, real, last, 'end of run: past every deadline')
  await real.ledger.expireDue()
  await expectAgreement(model, real, 'end of run: expireDue()', true)
  for (const account of real.accounts.keys()) expect(model.balance(account).held).toBe(0)
}

class AdvanceCommand implements LedgerCommand {
  constructor(readonly ms: number) {}
  check = () => true
  async run(model: LedgerModel, real: Real): Promise<void> {
    await moveClock(model, real, model.now + this.ms, this.toString())
  }
  toString(): string {
    return `advance(${this.ms} ms)`
  }
}

/** Moves the clock to just before, exactly onto or just after the next lot expiry or hold TTL. */
class AdvanceToDeadlineCommand implements LedgerCommand {
  private to: number | undefined
  constructor(readonly offset: -1 | 0 | 1) {}
  check = () => true
  async run(model: LedgerModel, real: Real): Promise<void> {
    const deadline = model.nextDeadline()
    if (deadline === null) return
    this.to = Math.max(model.now, deadline + this.offset)
    await moveClock(model, real, this.to, this.toString())
  }
  toString(): string {
    const where = this.to === undefined ? '' : ` (to ${this.to})`
    return `advanceToNextDeadline(${this.offset >= 0 ? '+' : ''}${this.offset} ms${where})`
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const account = fc.integer({ min: 0, max: ACCOUNTS - 1 })
const pick = fc.nat({ max: 1000 })

const expiry: fc.Arbitrary<Expiry> = fc.oneof(
  fc.record({ kind: fc.constant('never' as const), absolute: fc.boolean() }),
  fc.record({
    kind: fc.constant('in' as const),
    ms: fc.oneof(
      fc.constantFrom(SECOND, MINUTE, 15 * MINUTE, HOUR, DAY, 7 * DAY, 30 * DAY),
      fc.integer({ min: 1, max: 10 * DAY }),
    ),
    absolute: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('midnight' as const), days: fc.integer({ min: 1, max: 3 }) }),
)

const grant = fc
  .tuple(
    account,
    fc.constantFrom(...MODEL_SOURCES),
    // Small lots, mostly, so that holds often span several of them.
    fc.oneof({ arbitrary: fc.integer({ min: 1, max: 10 }), weight: 3 }, fc.integer({ min: 1, max: 40 })),
    // Mostly the source's default; sometimes one that ties with another source's.
    fc.option(fc.constantFrom(10, 30, 50), { freq: 3 }),
    expiry,
  )
  .map(([a, source, amount, priority, e]) => new GrantCommand(a, source, amount, priority ?? undefined, e))

const hold = fc
  .tuple(
    account,
    // Mostly what the account can afford (or one more); sometimes a fixed, often too large, amount.
    fc.oneof(
      {
        arbitrary: fc.noBias(fc.integer({ min: 1, max: 200 })).map((n): HoldSize => ({ kind: 'fitting', n })),
        weight: 3,
      },
      fc.integer({ min: 1, max: 120 }).map((amount): HoldSize => ({ kind: 'fixed', amount })),
    ),
    fc.option(fc.constantFrom(SECOND, MINUTE, HOUR, DAY, 7 * DAY), { nil: undefined }),
  )
  .map(([a, size, ttl]) => new HoldCommand(a, size, ttl))

// A part is drawn without fast-check's bias towards small numbers, which would make nearly every
// capture and refund touch a single lot.
const size: fc.Arbitrary<Size> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'all' as const }), weight: 2 },
  {
    arbitrary: fc.noBias(fc.integer({ min: 1, max: 200 })).map((n) => ({ kind: 'part' as const, n })),
    weight: 4,
  },
  { arbitrary: fc.integer({ min: 1, max: 2 }).map((by) => ({ kind: 'over' as const, by })), weight: 1 },
)
/** Three times in four, act on a hold that can take the command. */
const targeted = fc.integer({ min: 0, max: 3 }).map((n) => n > 0)

const capture = fc.tuple(pick, targeted, size).map(([p, t, s]) => new CaptureCommand(p, t, s))
const release = fc.tuple(pick, targeted).map(([p, t]) => new ReleaseCommand(p, t))
const refund = fc.tuple(pick, targeted, size).map(([p, t, s]) => new RefundCommand(p, t, s))
const expireDue = fc.constant(null).map(() => new ExpireDueCommand())
const advance = fc
  .oneof(
    { arbitrary: fc.constantFrom(SECOND, 59 * SECOND, 10 * MINUTE, 15 * MINUTE, HOUR), weight: 3 },
    fc.constantFrom(6 * HOUR, DAY, 7 * DAY, 31 * DAY),
    fc.integer({ min: 1, max: 3 * DAY }),
  )
  .map((ms) => new AdvanceCommand(ms))
const advanceToDeadline = fc
  .constantFrom(-1 as const, 0 as const, 1 as const)
  .map((o) => new AdvanceToDeadlineCommand(o))

// Listing an arbitrary more than once weighs it: grants, holds and captures keep the books busy.
const allCommands: fc.Arbitrary<LedgerCommand>[] = [
  ...Array(4).fill(grant),
  ...Array(3).fill(hold),
  ...Array(3).fill(capture),
  release,
  ...Array(3).fill(refund),
  expireDue,
  advance,
  advanceToDeadline,
]

// ---------------------------------------------------------------------------------------------

describe.each(BACKENDS)('ledger against its model on %s', (backend) => {
  let testDb: TestDatabase
  let db: Database
  // One database and one clock per backend: each run gets accounts of its own, and the clock only
  // moves forward (older runs' accounts just sit in the database, which verify() checks too).
  const clock = new ManualClock(Date.UTC(2026, 0, 1))
  let ledger: Ledger

  beforeAll(async () => {
    testDb = await createTestDatabase(backend)
    db = await testDb.open()
    ledger = new Ledger(db, { clock })
  })

  afterAll(async () => {
    await db?.close()
    await testDb?.destroy()
  })

  it('agrees with the model on balances, results and invariants after every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(allCommands, { maxCommands: MAX_COMMANDS, size: 'max' }), async (cmds) => {
        let run: { model: LedgerModel; real: Real } | undefined
        const setup = async () => {
          const accounts: string[] = []
          for (let i = 0; i < ACCOUNTS; i++) {
            const created = await ledger.createAccount({})
            if (!created.ok) throw new Error(JSON.stringify(created.error))
            accounts.push(created.value.accountId)
          }
          const real: Real = { ledger, clock, accounts, lots: [], holds: [] }
          run = { model: LedgerModel.start(clock.now(), ACCOUNTS), real }
          return run
        }
        await fc.asyncModelRun(setup, cmds)
        await expectEverythingSettles(run!.model, run!.real)
      }),
      { numRuns: NUM_RUNS },
    )
  }, 300_000)
})
