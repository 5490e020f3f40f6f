import { execFile, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatTime } from '../../src/cli/format.ts'
import { run } from '../../src/cli/main.ts'
import { addMonthsClamped } from '../../src/credits/index.ts'
import { openDatabase } from '../../src/db/open.ts'
import { ManualClock } from '../../src/util/clock.ts'
import { BACKENDS, createTestDatabase, type TestDatabase } from '../support/backends.ts'

/** Runs the CLI in-process against `env`; collects what it prints. */
async function easel(env: Record<string, string>, clock: ManualClock, ...argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await run(argv, { env, clock, out: (l) => out.push(l), err: (l) => err.push(l) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

describe.each(BACKENDS)('easel CLI on %s', (backend) => {
  let testDb: TestDatabase
  let env: Record<string, string>
  let dataDir: string
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12))

  beforeAll(async () => {
    testDb = await createTestDatabase(backend)
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-cli-'))
    const c = testDb.config
    env = { EASEL_DATA_DIR: dataDir, DATABASE_URL: c.kind === 'postgres' ? c.url : `sqlite:${c.path}` }
  })
  afterAll(async () => {
    await testDb.destroy()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  async function newAccount(): Promise<string> {
    const r = await easel(env, clock, 'accounts', 'create')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^acct_[0-9a-z]{26}$/)
    return r.out
  }

  it('creates accounts on a plan and in cohorts, and refuses malformed names', async () => {
    const r = await easel(
      env,
      clock,
      'accounts',
      'create',
      '--plan',
      'pro',
      '--cohorts',
      'beta, early',
      '--json',
    )
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out)).toMatchObject({ plan: 'pro', cohorts: ['beta', 'early'] })
    const bad = await easel(env, clock, 'accounts', 'create', '--cohorts', 'Beta')
    expect(bad).toMatchObject({
      code: 2,
      err: expect.stringContaining('easel: cohorts: must be a list of names'),
    })
  })

  it('migrate reports an up-to-date database after start-up migrated it', async () => {
    const r = await easel(env, clock, 'migrate')
    expect(r).toMatchObject({ code: 0, out: 'The database is up to date.' })
  })

  it('grants, holds, captures and shows the balance and history', async () => {
    const acct = await newAccount()
    const g = await easel(
      env,
      clock,
      'credits',
      'grant',
      '--account',
      acct,
      '--amount',
      '15',
      '--source',
      'monthly',
      '--expires-in',
      '30d',
      '--json',
    )
    expect(g.code).toBe(0)
    const lot = JSON.parse(g.out)
    expect(lot).toMatchObject({
      accountId: acct,
      amount: 15,
      source: 'monthly',
      priority: 10,
      expiresAt: clock.now() + 30 * 86_400_000,
    })
    const p = await easel(
      env,
      clock,
      'credits',
      'grant',
      '--account',
      acct,
      '--amount',
      '115',
      '--source',
      'purchase',
      '--cost',
      '15.00',
      '--currency',
      'usd',
    )
    expect(p.code).toBe(0)
    expect(p.out).toContain('cost 15.00 USD')

    const h = await easel(env, clock, 'credits', 'hold', '--account', acct, '--amount', '2', '--json')
    const hold = JSON.parse(h.out)
    expect(hold.allocations).toEqual([{ lotId: lot.lotId, amount: 2 }])
    const c = await easel(env, clock, 'credits', 'capture', '--hold', hold.holdId, '--amount', '1')
    expect(c).toMatchObject({ code: 0, out: `Captured 1 credits of ${hold.holdId}; 1 returned` })

    const b = await easel(env, clock, 'credits', 'balance', '--account', acct, '--json')
    expect(JSON.parse(b.out)).toMatchObject({
      // The hold was the account's first activity: this period's 15 free credits came with it.
      available: 144,
      held: 0,
      lots: [
        { source: 'monthly', remaining: 14 },
        { source: 'monthly', remaining: 15 },
        { source: 'purchase', remaining: 115 },
      ],
    })
    const human = await easel(env, clock, 'credits', 'balance', '--account', acct)
    expect(human.out).toContain('Available 144   Held 0')
    expect(human.out).toMatch(/monthly\s+14\s+0\s+15\s+10\s+2026-12-25 12:00 UTC/)

    const hist = await easel(env, clock, 'credits', 'history', '--account', acct, '--json')
    expect(JSON.parse(hist.out).entries.map((e: { kind: string }) => e.kind)).toEqual([
      'release',
      'capture',
      'hold',
      'grant',
      'grant',
      'grant',
    ])
    const page = await easel(env, clock, 'credits', 'history', '--account', acct, '--limit', '2')
    expect(page.out).toMatch(/More: --before txn_/)
  })

  it("grants take the price book's priority and expiry for their source unless told otherwise", async () => {
    const acct = await newAccount()
    const grant = async (...argv: string[]) => {
      const r = await easel(env, clock, 'credits', 'grant', '--account', acct, '--amount', '115', ...argv)
      expect(r.code, argv.join(' ')).toBe(0)
      return r
    }
    // The README's offline sale: paid credits last 12 months under labs-2022 and burn last.
    const sale = JSON.parse(
      (await grant('--source', 'purchase', '--cost', '15.00', '--currency', 'USD', '--json')).out,
    )
    expect(sale).toMatchObject({
      source: 'purchase',
      priority: 50,
      expiresAt: addMonthsClamped(clock.now(), 12),
      costBasis: { amountMinor: 1500, currency: 'USD' },
    })
    const said = await grant('--source', 'purchase', '--cost', '15.00')
    expect(said.out).toContain(`priority 50, expires ${formatTime(addMonthsClamped(clock.now(), 12))}`)
    expect(said.out).toContain(
      'priority and expiry from price book labs-2022 (its terms for purchase credits)',
    )
    expect(JSON.parse((await grant('--source', 'bonus', '--json')).out)).toMatchObject({
      priority: 20,
      expiresAt: addMonthsClamped(clock.now(), 1),
    })
    expect(JSON.parse((await grant('--source', 'promotional', '--json')).out)).toMatchObject({
      priority: 30,
      expiresAt: null,
    })
    // What the operator says wins, term by term.
    expect(
      JSON.parse((await grant('--source', 'purchase', '--never-expires', '--priority', '5', '--json')).out),
    ).toMatchObject({ priority: 5, expiresAt: null })
    expect(
      JSON.parse((await grant('--source', 'purchase', '--expires-in', '1d', '--json')).out),
    ).toMatchObject({ priority: 50, expiresAt: clock.now() + 86_400_000 })
    const both = await easel(
      env,
      clock,
      'credits',
      'grant',
      '--account',
      acct,
      '--amount',
      '1',
      '--source',
      'purchase',
      '--never-expires',
      '--expires-in',
      '1d',
    )
    expect(both).toMatchObject({ code: 2, err: expect.stringContaining('give one of --expires-in') })
  })

  it('shows at a later date what the account will hold then, its allowance to be granted, writing nothing', async () => {
    const acct = await newAccount()
    const created = clock.now()
    await easel(env, clock, 'credits', 'grant', '--account', acct, '--amount', '115', '--source', 'purchase')
    const nextPeriod = addMonthsClamped(created, 1)
    const before = (await easel(env, clock, 'credits', 'history', '--account', acct, '--json')).out
    const at = new Date(nextPeriod + 86_400_000).toISOString()
    const ahead = JSON.parse(
      (await easel(env, clock, 'credits', 'balance', '--account', acct, '--at', at, '--json')).out,
    )
    // This period's 15 free credits are gone by then; the next period's 15 are owed.
    expect(ahead).toMatchObject({
      available: 130,
      lots: [{ source: 'purchase', remaining: 115 }],
      owed: [
        {
          source: 'monthly',
          amount: 15,
          priority: 10,
          dueAt: nextPeriod,
          expiresAt: addMonthsClamped(created, 2),
          reference: `period:${new Date(nextPeriod).toISOString().slice(0, 10)}`,
        },
      ],
    })
    const human = await easel(env, clock, 'credits', 'balance', '--account', acct, '--at', at)
    expect(human.out).toContain('Available 130   Held 0   (15 of them to be granted)')
    expect(human.out).toMatch(
      new RegExp(`\\(to be granted\\)\\s+monthly\\s+15\\s+10\\s+${formatTime(nextPeriod)}`),
    )
    // A projection: the journal is as it was. Today's balance counts this period's 15, not granted
    // yet (the first spend grants them), as owed: a pure read too.
    expect((await easel(env, clock, 'credits', 'history', '--account', acct, '--json')).out).toBe(before)
    const today = JSON.parse((await easel(env, clock, 'credits', 'balance', '--account', acct, '--json')).out)
    expect(today).toMatchObject({ available: 130, owed: [{ source: 'monthly', amount: 15 }] })
    expect((await easel(env, clock, 'credits', 'history', '--account', acct, '--json')).out).toBe(before)
  })

  it('refunds, releases and expires through the CLI', async () => {
    const acct = await newAccount()
    await easel(
      env,
      clock,
      'credits',
      'grant',
      '--account',
      acct,
      '--amount',
      '5',
      '--source',
      'bonus',
      '--expires-in',
      '1h',
    )
    const hold = JSON.parse(
      (await easel(env, clock, 'credits', 'hold', '--account', acct, '--amount', '3', '--json')).out,
    )
    expect((await easel(env, clock, 'credits', 'capture', '--hold', hold.holdId)).code).toBe(0)
    const r = await easel(
      env,
      clock,
      'credits',
      'refund',
      '--hold',
      hold.holdId,
      '--amount',
      '1',
      '--reason',
      'engine glitch',
    )
    expect(r).toMatchObject({ code: 0, out: `Refunded 1 credits of ${hold.holdId}\n2 more can be refunded.` })
    const other = JSON.parse(
      (await easel(env, clock, 'credits', 'hold', '--account', acct, '--amount', '1', '--json')).out,
    )
    expect((await easel(env, clock, 'credits', 'release', '--hold', other.holdId)).out).toBe(
      `Released 1 credits of ${other.holdId}`,
    )
    clock.advance(2 * 3_600_000)
    const e = await easel(env, clock, 'credits', 'expire', '--json')
    // The first hold brought this period's 15 free credits, which burn first: the bonus expires whole.
    expect(JSON.parse(e.out)).toMatchObject({ creditsExpired: 5, lotsExpired: 1 })
    const b = JSON.parse((await easel(env, clock, 'credits', 'balance', '--account', acct, '--json')).out)
    // What is left: the period's free credits, less the 2 credits the job kept.
    expect(b).toMatchObject({ available: 13, held: 0, lots: [{ source: 'monthly', remaining: 13 }] })
  })

  it('refuses bad arguments with a clear message and exit status 2, changing nothing', async () => {
    const acct = await newAccount()
    const before = (await easel(env, clock, 'credits', 'history', '--account', acct, '--json')).out
    const cases: Array<[string[], RegExp]> = [
      [
        ['credits', 'grant', '--account', acct, '--amount', '-3', '--source', 'monthly'],
        /amount: must be at least 1, got -3/,
      ],
      [
        ['credits', 'grant', '--account', acct, '--amount', '0', '--source', 'monthly'],
        /amount: must be at least 1/,
      ],
      [
        ['credits', 'grant', '--account', acct, '--amount', '1.5', '--source', 'monthly'],
        /--amount must be a whole number, got "1.5"/,
      ],
      [
        ['credits', 'grant', '--account', acct, '--amount', '9007199254740993', '--source', 'monthly'],
        /--amount must be at most/,
      ],
      [
        ['credits', 'grant', '--account', acct, '--amount', '1', '--source', 'gift'],
        /--source must be one of monthly, bonus/,
      ],
      [['credits', 'grant', '--account', acct, '--amount', '1'], /--source is required/],
      [
        [
          'credits',
          'grant',
          '--account',
          acct,
          '--amount',
          '1',
          '--source',
          'monthly',
          '--expires-in',
          'soon',
        ],
        /--expires-in must be a duration/,
      ],
      [
        ['credits', 'grant', '--account', acct, '--amount', '1', '--source', 'monthly', '--cost', '1.234'],
        /--cost must be an amount/,
      ],
      [
        ['credits', 'grant', '--account', acct, '--amount', '1', '--source', 'monthly', '--wat'],
        /Unknown option '--wat'/,
      ],
      [
        ['credits', 'hold', '--account', 'bob', '--amount', '1'],
        /accountId: must be an id starting with "acct_"/,
      ],
      [['credits', 'balance', '--account', acct, '--at', 'yesterday'], /--at must be a date/],
      [['credits', 'frobnicate'], /unknown command "credits frobnicate"/],
      [['frobnicate'], /unknown command "frobnicate"/],
    ]
    for (const [argv, message] of cases) {
      const r = await easel(env, clock, ...argv)
      expect(r.code, argv.join(' ')).toBe(2)
      expect(r.err, argv.join(' ')).toMatch(message)
    }
    expect((await easel(env, clock, 'credits', 'history', '--account', acct, '--json')).out).toBe(before)
  })

  it('exits 1 for refused operations: unknown account, not enough credits', async () => {
    const acct = await newAccount()
    const missing = await easel(
      env,
      clock,
      'credits',
      'balance',
      '--account',
      'acct_00000000000000000000000000',
    )
    expect(missing).toMatchObject({ code: 1, err: 'easel: no account acct_00000000000000000000000000' })
    // A new account has this period's 15 free credits, and no more.
    const poor = await easel(env, clock, 'credits', 'hold', '--account', acct, '--amount', '16')
    expect(poor).toMatchObject({ code: 1, err: 'easel: not enough credits: 16 needed, 15 available' })
    const json = await easel(env, clock, 'credits', 'hold', '--account', acct, '--amount', '16', '--json')
    expect(JSON.parse(json.out).error).toMatchObject({
      code: 'INSUFFICIENT_CREDITS',
      requested: 16,
      available: 15,
    })
  })

  it('start migrates, sweeps overdue holds and expired credits at once, and stops when asked', async () => {
    const acct = await newAccount()
    await easel(
      env,
      clock,
      'credits',
      'grant',
      '--account',
      acct,
      '--amount',
      '4',
      '--source',
      'bonus',
      '--expires-in',
      '2h',
    )
    await easel(env, clock, 'credits', 'hold', '--account', acct, '--amount', '1', '--ttl', '1m')
    clock.advance(3 * 3_600_000)
    const out: string[] = []
    let stop!: () => void
    const stopSignal = new Promise<void>((resolve) => {
      stop = resolve
    })
    const running = run(['start', '--sweep-every', '1h'], {
      env: { ...env, PORT: '0', EASEL_LOG_LEVEL: 'silent' },
      clock,
      out: (line) => {
        out.push(line)
        // The first sweep runs at start-up; once it has reported, ask the command to stop.
        if (line.startsWith('easel: released')) stop()
      },
      err: (line) => out.push(line),
      stopSignal,
    })
    expect(await running).toBe(0)
    expect(out[0]).toMatch(/^easel: listening on http:\/\/127\.0\.0\.1:\d+ \((sqlite|postgres)/)
    expect(out).toContain('easel: released 1 overdue holds, expired 4 credits')
    expect(out.at(-1)).toBe('easel: stopped.')
    const b = JSON.parse((await easel(env, clock, 'credits', 'balance', '--account', acct, '--json')).out)
    // The overdue hold's credit went back to the free credits; the expired bonus is gone.
    expect(b).toMatchObject({ available: 15, held: 0 })
  })

  it('ledger verify exits 0 when the books balance and 1 with each violation when they do not', async () => {
    const ok = await easel(env, clock, 'ledger', 'verify')
    expect(ok.code).toBe(0)
    expect(ok.out).toContain('OK: every invariant holds.')

    const acct = await newAccount()
    await easel(
      env,
      clock,
      'credits',
      'grant',
      '--account',
      acct,
      '--amount',
      '10',
      '--source',
      'promotional',
    )
    const db = await testDb.open()
    try {
      await db.kysely.updateTable('accounts').set({ available: 11 }).where('id', '=', acct).execute()
    } finally {
      await db.close()
    }
    const bad = await easel(env, clock, 'ledger', 'verify')
    expect(bad.code).toBe(1)
    expect(bad.out).toContain(`VIOLATION invariant 3 ${acct}: available is 11, its lots hold 10`)
    expect(bad.out).toMatch(/FAILED: \d+ violations\./)
    const json = JSON.parse((await easel(env, clock, 'ledger', 'verify', '--json')).out)
    expect(json.ok).toBe(false)
    // Put it right so the rest of the suite sees clean books.
    const fix = await testDb.open()
    await fix.kysely.updateTable('accounts').set({ available: 10 }).where('id', '=', acct).execute()
    await fix.close()
  })
})

describe('easel command', () => {
  const BIN = ['bin/easel.js']

  /** Runs the program with a stdout nobody reads (`easel … | head` once head has gone). */
  function withStdoutClosed(env: NodeJS.ProcessEnv, ...argv: string[]) {
    const child = spawn(process.execPath, [...BIN, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    // Closed before the program has started: its first write meets a pipe with no reader (EPIPE).
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    return new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal, stderr })),
    )
  }

  it('ends quietly, without a stack trace, when stdout is closed early', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-pipe-'))
    const env = { ...process.env, EASEL_DATA_DIR: dir, DATABASE_URL: '' }
    try {
      expect(await withStdoutClosed(env, 'help')).toEqual({ code: 0, signal: null, stderr: '' })
      // A command that writes still does its work to the end, and exits with its own status.
      expect(await withStdoutClosed(env, 'accounts', 'create')).toEqual({ code: 0, signal: null, stderr: '' })
      expect(await withStdoutClosed(env, 'accounts', 'create', '--json')).toEqual({
        code: 0,
        signal: null,
        stderr: '',
      })
      const listed = await promisify(execFile)(
        process.execPath,
        [...BIN, 'report', 'ledger', '--from', '2000-01-01', '--to', '2100-01-01', '--json'],
        { env },
      )
      expect(JSON.parse(listed.stdout).total.granted).toBe(0)
      const db = await openDatabase({ kind: 'sqlite', path: path.join(dir, 'easel.db') }, { migrate: false })
      try {
        const n = await db.kysely
          .selectFrom('accounts')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
        expect(Number(n.n)).toBe(2)
      } finally {
        await db.close()
      }
      // Errors still reach stderr, and keep their status.
      const bad = await withStdoutClosed(env, 'credits', 'grant')
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain('easel: --account is required')
      expect(bad.stderr).not.toContain('EPIPE')
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('refuses a data directory that does not exist instead of creating one; migrate and start create it', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-nodir-'))
    const missing = path.join(parent, 'data')
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 12))
    try {
      for (const argv of [
        ['users', 'list'],
        ['credits', 'balance', '--account', 'acct_00000000000000000000000000'],
        ['pricing', 'show'],
        ['allowances', 'run'],
        ['ledger', 'verify'],
      ]) {
        const r = await easel({ EASEL_DATA_DIR: missing }, clock, ...argv)
        expect(r.code, argv.join(' ')).toBe(2)
        expect(r.err, argv.join(' ')).toBe(
          `easel: the data directory ${missing} (EASEL_DATA_DIR) does not exist. Run the CLI with the server's EASEL_DATA_DIR or DATABASE_URL; "easel migrate" or "easel start" creates a new one.`,
        )
      }
      const viaUrl = await easel(
        { EASEL_DATA_DIR: parent, DATABASE_URL: `sqlite:${path.join(missing, 'other.db')}` },
        clock,
        'users',
        'list',
      )
      expect(viaUrl.code).toBe(2)
      expect(viaUrl.err).toContain(
        `the directory of the SQLite database ${path.join(missing, 'other.db')} (DATABASE_URL) does not exist`,
      )
      expect(fs.existsSync(missing)).toBe(false)

      expect(await easel({ EASEL_DATA_DIR: missing }, clock, 'migrate')).toMatchObject({ code: 0 })
      expect(fs.existsSync(path.join(missing, 'easel.db'))).toBe(true)
      expect(await easel({ EASEL_DATA_DIR: missing }, clock, 'users', 'list')).toMatchObject({
        code: 0,
        out: 'No users.',
      })

      const fresh = path.join(parent, 'fresh')
      const started = await run(['start'], {
        env: { EASEL_DATA_DIR: fresh, PORT: '0', EASEL_LOG_LEVEL: 'silent' },
        clock,
        out: () => {},
        err: () => {},
        stopSignal: Promise.resolve(),
      })
      expect(started).toBe(0)
      expect(fs.existsSync(path.join(fresh, 'easel.db'))).toBe(true)
    } finally {
      fs.rmSync(parent, { recursive: true, force: true })
    }
  })

  it('runs as a program: help, then a grant and balance on a fresh SQLite data directory', async () => {
    const exec = promisify(execFile)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-bin-'))
    const env = { ...process.env, EASEL_DATA_DIR: dir, DATABASE_URL: '' }
    try {
      const help = await exec(process.execPath, ['bin/easel.js', 'help'], { env })
      expect(help.stdout).toContain('Usage: easel <command>')
      const acct = (
        await exec(process.execPath, ['bin/easel.js', 'accounts', 'create'], { env })
      ).stdout.trim()
      await exec(
        process.execPath,
        ['bin/easel.js', 'credits', 'grant', '--account', acct, '--amount', '50', '--source', 'bonus'],
        { env },
      )
      const balance = await exec(
        process.execPath,
        ['bin/easel.js', 'credits', 'balance', '--account', acct, '--json'],
        { env },
      )
      // 50 granted, and the 15 free credits every account gets each month.
      expect(JSON.parse(balance.stdout)).toMatchObject({ available: 65 })
      expect(fs.existsSync(path.join(dir, 'easel.db'))).toBe(true)
      const bad = await exec(process.execPath, ['bin/easel.js', 'credits', 'grant'], { env }).catch((e) => e)
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain('easel: --account is required')
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
