import { Fraction, minorDigits, minorUnitName } from '../../credits/index.ts'
import { parseDate, parseInteger, parseOptions, required } from '../args.ts'
import { formatAmount, formatTime, table } from '../format.ts'
import { type CliContext, UsageError } from '../io.ts'
import { report, withLedger } from '../ledger-session.ts'

export const REPORT_USAGE = `Usage: easel report <command>

Commands:
  ledger --from DATE --to DATE [--account ID] [--json]
         credits granted, consumed, expired and refunded by source; revenue recognised (cost basis
         of the credits consumed), breakage (paid credits expired unspent), list and effective
         price per credit, cash received per currency (purchases, net of refunds) — for one
         account, or the whole installation
  charge --hold ID [--images N] [--kept K] [--json]
         what one job cost: credits, money (cost basis of the credits used), per image returned
         and per image kept`

export async function reportCommand(ctx: CliContext, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  const u = REPORT_USAGE
  switch (sub) {
    case 'ledger': {
      const o = parseOptions(
        rest,
        {
          json: { type: 'boolean' },
          from: { type: 'string' },
          to: { type: 'string' },
          account: { type: 'string' },
        },
        u,
      )
      const from = parseDate(required(o.from, 'from', u), 'from', u)
      const to = parseDate(required(o.to, 'to', u), 'to', u)
      return withLedger(ctx, async (ledger) =>
        report(
          ctx,
          await ledger.report({ from, to, ...(o.account ? { accountId: o.account } : {}) }),
          o.json ?? false,
          (r) => {
            // Revenue, breakage and price per credit are per currency: cost bases in different
            // currencies are never added. A period with no movement shows the book's zero.
            const lines = r.byCurrency.length
              ? r.byCurrency
              : [
                  {
                    currency: r.currency ?? 'USD',
                    revenueRecognised: Fraction.zero,
                    breakage: Fraction.zero,
                    effectivePricePerCredit: null,
                  },
                ]
            return [
              `${o.account ?? 'Installation'}, ${formatTime(from)} to ${formatTime(to)}`,
              '',
              ...table(
                ['SOURCE', 'GRANTED', 'CONSUMED', 'EXPIRED', 'REFUNDED'],
                [
                  ...Object.entries(r.bySource).map(([s, l]) => [
                    s,
                    l.granted,
                    l.consumed,
                    l.expired,
                    l.refunded,
                  ]),
                  ['total', r.total.granted, r.total.consumed, r.total.expired, r.total.refunded],
                ],
              ),
              '',
              ...lines.flatMap((m) => {
                const unit = minorUnitName(m.currency)
                // The list price is the book's, so it goes beside that currency's figures only.
                const list = m.currency === r.currency ? (r.listPricePerCredit ?? '—') : '—'
                return [
                  `Revenue recognised: ${m.revenueRecognised.shown()} ${unit}`,
                  `Breakage:           ${m.breakage.shown()} ${unit}`,
                  `Price per credit:   list ${list}, effective ${m.effectivePricePerCredit?.shown(3) ?? '—'} ${unit}`,
                ]
              }),
              '',
              ...(r.cashReceived.length === 0
                ? ['Cash received: none (no purchases or refunds in the period)']
                : [
                    'Cash received (purchases, net of refunds; revenue counts credits only once used):',
                    ...table(
                      ['CURRENCY', 'PURCHASES', 'REFUNDS', 'NET'],
                      r.cashReceived.map((c) => [
                        c.currency,
                        formatAmount(c.purchasesMinor, c.currency, false),
                        formatAmount(c.refundsMinor, c.currency, false),
                        formatAmount(c.netMinor, c.currency, false),
                      ]),
                    ).map((line) => `  ${line}`),
                  ]),
            ]
          },
        ),
      )
    }
    case 'charge': {
      const o = parseOptions(
        rest,
        {
          json: { type: 'boolean' },
          hold: { type: 'string' },
          images: { type: 'string' },
          kept: { type: 'string' },
        },
        u,
      )
      const holdId = required(o.hold, 'hold', u)
      const returned = o.images ? parseInteger(o.images, 'images', u) : 4
      const kept = o.kept ? parseInteger(o.kept, 'kept', u) : returned
      return withLedger(ctx, async (ledger) =>
        report(ctx, await ledger.chargeReport(holdId, { returned, kept }), o.json ?? false, (c) => [
          `${c.holdId}: ${c.credits} credits`,
          // One line per currency the credits were bought in: cost bases are never added across them.
          ...(c.byCurrency.length === 0 ? ['  cost 0 (free credits)'] : []),
          ...c.byCurrency.flatMap((line) => {
            const unit = minorDigits(line.currency) === 2 ? 'cents' : minorUnitName(line.currency)
            return [
              `  ${line.currency}: ${line.credits} credits, cost ${line.cost.shown(3)} ${unit}`,
              `    per image returned (${c.imagesReturned}): ${line.perImageReturned?.shown() ?? '—'} ${unit}`,
              `    per image kept (${c.imagesKept}): ${line.perImageKept?.shown() ?? '—'} ${unit}`,
            ]
          }),
        ]),
      )
    }
    case undefined:
    case 'help':
    case '--help':
      ctx.out(u)
      return sub === undefined ? 2 : 0
    default:
      throw new UsageError(`unknown command "report ${sub}"`, u)
  }
}
