import fs from 'node:fs'
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { CLI_ACTOR, writeAudit } from '../../accounts/index.ts'
import { LOT_SOURCES, minorUnitName, quote } from '../../credits/index.ts'
import { type BookDuration, cohortBonus, type PriceBook } from '../../credits/pricing/book.ts'
import { type BookVersion, DatabasePricing } from '../../credits/pricing/catalog.ts'
import { readRecordedCharges, type SimulationLine, simulate } from '../../credits/pricing/simulate.ts'
import { type BookValidation, parseBook } from '../../credits/pricing/validate.ts'
import { parseDate, parseOptions, required } from '../args.ts'
import { formatAmount, formatTime, table } from '../format.ts'
import { type CliContext, EXIT, UsageError } from '../io.ts'
import { openExistingDatabase } from '../ledger-session.ts'

export const PRICING_USAGE = `Usage: easel pricing <command>

Commands:
  validate FILE [--json]               check a price book (JSON or YAML); every problem with its path
  activate FILE [--from now|DATE] [--reason TEXT] [--json]
                                       make it the book in force from now (the default when the
                                       file has no effectiveFrom) or from a later DATE; a date
                                       that has passed is refused
  show [--json]                        the book in force now; --json prints it as a book file
                                       that "activate" takes back (give it a new version)
  versions [--json]                    every version with the date it takes effect
  close-cohort COHORT [--json]         close a cohort (the beta) to sign-ups from now: a copy of
                                       the book in force with joinUntil now on the cohort becomes
                                       a new version; members keep the cohort and its bonus
  simulate --book FILE --from DATE --to DATE [--json]
                                       re-price the charges of a period under another book`

/** Options and the one argument (`what`) of `validate`, `activate` and `close-cohort`. */
function withFile<T extends ParseArgsConfig['options']>(
  argv: string[],
  options: T,
  what = 'price book FILE',
) {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>
  >
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true })
  } catch (error) {
    throw new UsageError((error as Error).message, PRICING_USAGE)
  }
  if (parsed.positionals.length > 1) throw new UsageError(`give one ${what}`, PRICING_USAGE)
  return parsed
}

function readBook(file: string | undefined): BookValidation {
  if (!file) throw new UsageError('a price book FILE is required', PRICING_USAGE)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`, PRICING_USAGE)
  }
  return parseBook(text, /\.ya?ml$/i.test(file) ? 'yaml' : 'json')
}

function printProblems(
  ctx: CliContext,
  file: string,
  result: BookValidation & { ok: false },
  json: boolean,
): number {
  if (json) ctx.out(JSON.stringify({ ok: false, problems: result.problems }, null, 2))
  else {
    ctx.err(`easel: ${file} is not a valid price book (${result.problems.length} problems):`)
    for (const p of result.problems) ctx.err(`  ${p.line ? `line ${p.line}: ` : ''}${p.path}: ${p.message}`)
  }
  return EXIT.refused
}

function versionTable(versions: readonly BookVersion[]): string[] {
  return table(
    ['VERSION', 'FROM', 'ACTIVATED'],
    versions.map((v) => [
      v.version,
      formatTime(v.effectiveFrom),
      v.activatedAt ? formatTime(v.activatedAt) : 'built in',
    ]),
  )
}

/** How long credits last, as an operator reads it: `12 months`, `30 days`, `never`. */
function describeDuration(d: BookDuration | null): string {
  if (d === null) return 'never'
  return 'months' in d
    ? `${d.months} month${d.months === 1 ? '' : 's'}`
    : `${d.days} day${d.days === 1 ? '' : 's'}`
}

/** Everything the book in force decides, in words: what `show` prints. */
function describeBook(book: PriceBook, versions: readonly BookVersion[], now: number): string[] {
  const since = versions.filter((v) => v.version === book.version && v.effectiveFrom <= now).at(-1)
  const indent = (lines: string[]) => lines.map((line) => `  ${line}`)
  const cohorts = Object.entries(book.cohorts)
  const monthly = book.expiry.monthly
  return [
    `In force: ${book.version} (${book.currency})${since ? ` since ${formatTime(since.effectiveFrom)}` : ''}`,
    '',
    'Operations:',
    ...indent(
      table(
        ['OPERATION', 'CREDITS', 'IMAGES', 'RULE'],
        Object.entries(book.operations).flatMap(([name]) => {
          const q = quote(book, name, {})
          return q.ok ? [[name, q.value.credits, q.value.images, q.value.ruleId]] : []
        }),
      ),
    ),
    '',
    'Packs:',
    ...indent(
      table(
        ['PACK', 'CREDITS', 'PRICE'],
        book.packs.map((p) => [p.id, p.credits, formatAmount(p.priceMinor, book.currency)]),
      ),
    ),
    '',
    `Monthly allowances (default plan ${book.allowances.defaultPlan}):`,
    ...Object.entries(book.allowances.plans).map(
      ([plan, p]) =>
        `  ${plan}: ${p.monthlyCredits} credits` +
        (p.priceMinor === undefined ? '' : `, ${formatAmount(p.priceMinor, book.currency)} a period`),
    ),
    '',
    'Cohorts:',
    ...(cohorts.length === 0
      ? ['  none']
      : indent(
          table(
            ['COHORT', 'BONUS', 'BONUS EXPIRES', 'JOIN ON SIGN-UP', 'JOIN UNTIL'],
            cohorts.map(([name]) => {
              const bonus = cohortBonus(book, name)!
              const until = book.cohorts[name]!.joinUntil
              return [
                name,
                bonus.credits,
                bonus.expiresIn === null ? 'never' : `after ${describeDuration(bonus.expiresIn)}`,
                book.cohorts[name]!.joinOnSignup ? 'yes' : 'no',
                until === undefined
                  ? 'no end'
                  : `${formatTime(Date.parse(until))}${Date.parse(until) <= now ? ' (closed)' : ''}`,
              ]
            }),
          ),
        )),
    '',
    'Expiry and burn order (lower priority burns first):',
    ...indent(
      table(
        ['SOURCE', 'EXPIRES', 'PRIORITY'],
        LOT_SOURCES.map((source) => [
          source,
          source === 'monthly'
            ? monthly === 'end-of-period'
              ? 'at the end of its period'
              : `${describeDuration(monthly)} after its period starts`
            : source === 'refund' || source === 'adjustment'
              ? 'never'
              : book.expiry[source] === null
                ? 'never'
                : `after ${describeDuration(book.expiry[source])}`,
          book.priorities[source],
        ]),
      ),
    ),
    '',
    'Versions:',
    ...indent(versionTable(versions)),
  ]
}

export async function pricingCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  switch (sub) {
    case 'validate': {
      const { values: o, positionals } = withFile(rest, { json: { type: 'boolean' } })
      const file = positionals[0]
      const result = readBook(file)
      if (!result.ok) return printProblems(ctx, file!, result, o.json ?? false)
      const generate = quote(result.book, Object.keys(result.book.operations)[0]!, {})
      if (o.json) ctx.out(JSON.stringify({ ok: true, version: result.book.version }, null, 2))
      else {
        ctx.out(`${file}: price book ${result.book.version} is valid.`)
        if (generate.ok && generate.value.listPricePerCredit) {
          ctx.out(
            `List price per credit: ${generate.value.listPricePerCredit.shown} (${result.book.currency} minor units).`,
          )
        }
      }
      return EXIT.ok
    }
    case 'activate': {
      const { values: o, positionals } = withFile(rest, {
        json: { type: 'boolean' },
        from: { type: 'string' },
        reason: { type: 'string' },
      })
      const file = positionals[0]
      const result = readBook(file)
      if (!result.ok) return printProblems(ctx, file!, result, o.json ?? false)
      const from =
        o.from === undefined
          ? undefined
          : o.from === 'now'
            ? ('now' as const)
            : parseDate(o.from, 'from', PRICING_USAGE)
      const db = await openExistingDatabase(ctx)
      try {
        const catalog = await DatabasePricing.load(db.kysely, ctx.clock)
        const activated = await catalog.activate(result.book, from)
        if (!activated.ok) {
          if (o.json) ctx.out(JSON.stringify({ error: activated.error }, null, 2))
          else {
            ctx.err(`easel: ${activated.error.message}`)
            if (activated.error.code === 'VALIDATION' && activated.error.field === 'effectiveFrom')
              ctx.err('  Use --from now, --from a later DATE, or leave effectiveFrom out of the file.')
          }
          return activated.error.code === 'VALIDATION' ? EXIT.usage : EXIT.refused
        }
        const v = activated.value
        // pricing/ takes no write of ours: the record is a write of its own, right after.
        await writeAudit(db, ctx.clock, {
          actor: CLI_ACTOR,
          action: 'pricebook.activate',
          subject: v.version,
          details: { version: v.version, effectiveFrom: v.effectiveFrom },
          reason: o.reason ?? null,
        })
        if (o.json) ctx.out(JSON.stringify(v, null, 2))
        else if (v.effectiveFrom === v.activatedAt)
          ctx.out(`Price book ${v.version} is in force from now (${formatTime(v.effectiveFrom)}).`)
        else ctx.out(`Price book ${v.version} takes effect ${formatTime(v.effectiveFrom)}.`)
        return EXIT.ok
      } finally {
        await db.close()
      }
    }
    case 'show': {
      const o = parseOptions(rest, { json: { type: 'boolean' } }, PRICING_USAGE)
      const db = await openExistingDatabase(ctx)
      try {
        const catalog = await DatabasePricing.load(db.kysely, ctx.clock)
        const now = ctx.clock.now()
        const book = catalog.bookAt(now)
        if (o.json) {
          // The book as a file: its date is the version's (see "versions"), and a copy activated
          // again takes effect when it is activated, not at a date that has passed.
          const { effectiveFrom: _, ...file } = book
          ctx.out(JSON.stringify(file, null, 2))
          return EXIT.ok
        }
        for (const line of describeBook(book, catalog.versions(), now)) ctx.out(line)
        return EXIT.ok
      } finally {
        await db.close()
      }
    }
    case 'versions': {
      const o = parseOptions(rest, { json: { type: 'boolean' } }, PRICING_USAGE)
      const db = await openExistingDatabase(ctx)
      try {
        const versions = (await DatabasePricing.load(db.kysely, ctx.clock)).versions()
        if (o.json) ctx.out(JSON.stringify(versions, null, 2))
        else for (const line of versionTable(versions)) ctx.out(line)
        return EXIT.ok
      } finally {
        await db.close()
      }
    }
    case 'simulate': {
      const o = parseOptions(
        rest,
        {
          json: { type: 'boolean' },
          book: { type: 'string' },
          from: { type: 'string' },
          to: { type: 'string' },
        },
        PRICING_USAGE,
      )
      const file = required(o.book, 'book', PRICING_USAGE)
      const from = parseDate(required(o.from, 'from', PRICING_USAGE), 'from', PRICING_USAGE)
      const to = parseDate(required(o.to, 'to', PRICING_USAGE), 'to', PRICING_USAGE)
      const result = readBook(file)
      if (!result.ok) return printProblems(ctx, file, result, o.json ?? false)
      const db = await openExistingDatabase(ctx)
      try {
        const catalog = await DatabasePricing.load(db.kysely, ctx.clock)
        const { charges, budgets } = await readRecordedCharges(db.kysely, { from, to })
        const sim = simulate(charges, result.book, (at) => catalog.bookAt(at), budgets)
        if (o.json) {
          ctx.out(JSON.stringify(sim, null, 2))
          return EXIT.ok
        }
        const row = (name: string, l: SimulationLine) => [
          name,
          l.operations,
          l.creditsBefore,
          l.creditsAfter,
          l.revenueBefore.shown(),
          l.revenueAfter.shown(),
        ]
        ctx.out(`Charges from ${formatTime(from)} to ${formatTime(to)} re-priced under ${sim.book}:`)
        ctx.out('')
        for (const line of table(
          ['OPERATION', 'COUNT', 'CREDITS NOW', `CREDITS ${sim.book}`, 'REVENUE NOW', `REVENUE ${sim.book}`],
          [...Object.entries(sim.byOperation).map(([name, l]) => row(name, l)), row('total', sim.total)],
        ))
          ctx.out(`  ${line}`)
        ctx.out('')
        ctx.out(
          `Revenue is list revenue in ${minorUnitName(result.book.currency)} (credits × list price per credit).`,
        )
        ctx.out(`Accounts that would have run out of credits earlier: ${sim.accountsRunOutEarlier}`)
        if (sim.unpriceable > 0) ctx.out(`Charges ${sim.book} cannot price: ${sim.unpriceable}`)
        return EXIT.ok
      } finally {
        await db.close()
      }
    }
    case 'close-cohort': {
      const { values: o, positionals } = withFile(rest, { json: { type: 'boolean' } }, 'COHORT')
      const cohort = positionals[0]
      if (!cohort) throw new UsageError('a COHORT to close is required (e.g. beta)', PRICING_USAGE)
      const db = await openExistingDatabase(ctx)
      try {
        const catalog = await DatabasePricing.load(db.kysely, ctx.clock)
        const closed = await catalog.closeCohort(cohort)
        if (!closed.ok) {
          if (o.json) ctx.out(JSON.stringify({ error: closed.error }, null, 2))
          else ctx.err(`easel: ${closed.error.message}`)
          return EXIT.refused
        }
        const c = closed.value
        const details = { version: c.version, effectiveFrom: c.effectiveFrom, joinUntil: c.joinUntil }
        await writeAudit(db, ctx.clock, {
          actor: CLI_ACTOR,
          action: 'cohort.close',
          subject: c.cohort,
          details,
        })
        if (o.json) {
          ctx.out(JSON.stringify(c, null, 2))
          return EXIT.ok
        }
        ctx.out(
          `Cohort ${c.cohort} is closed to sign-ups from ${formatTime(c.joinUntil)}: price book ${c.version} is in force from now.`,
        )
        ctx.out('Its members keep the cohort and its bonus; an administrator can still place users in it.')
        for (const v of c.reopenedBy) {
          ctx.err(
            `easel: warning: version ${v.version}, in force from ${formatTime(v.effectiveFrom)}, leaves ${c.cohort} open: close it again once it takes effect`,
          )
        }
        return EXIT.ok
      } finally {
        await db.close()
      }
    }
    case undefined:
    case 'help':
    case '--help':
      ctx.out(PRICING_USAGE)
      return sub === undefined ? EXIT.usage : EXIT.ok
    default:
      throw new UsageError(`unknown command "pricing ${sub}"`, PRICING_USAGE)
  }
}
