import type { ChargeReport, Ledger, PricingCatalog } from '../../credits/index.ts'
import type { JobView } from './rows.ts'

/** What a job's credits cost in one currency, in minor units (shown to two decimals of one). */
export interface JobCostLine {
  currency: string
  priceMinor: string
  perImageKeptMinor: string | null
}

/**
 * What a job really cost once it succeeded: its credits and the money those credits were bought
 * for (free credits cost nothing), in minor units, in total and per image kept (its favourites,
 * or all its images when none is a favourite yet). Money is never added across currencies:
 * `byCurrency` has a line for each currency the credits were bought in; `currency`, `priceMinor`
 * and `perImageKeptMinor` are its one line when there is one (free credits alone: the book's
 * currency at 0), and null when the credits were bought in several.
 */
export interface JobCost {
  credits: number
  imagesKept: number
  byCurrency: JobCostLine[]
  currency: string | null
  priceMinor: string | null
  perImageKeptMinor: string | null
}

/** The job's cost from its charge on the ledger; null until it succeeded, or without a price book. */
export async function jobCost(
  ledger: Pick<Ledger, 'chargeReports'>,
  pricing: PricingCatalog | undefined,
  job: JobView,
): Promise<JobCost | null> {
  return (await jobCosts(ledger, pricing, [job])).get(job.id) ?? null
}

/**
 * The cost of each of these jobs (a page of a job list), by job id, from one bulk read of their
 * charges on the ledger; null for a job that has not succeeded, or for every job without a price
 * book.
 */
export async function jobCosts(
  ledger: Pick<Ledger, 'chargeReports'>,
  pricing: PricingCatalog | undefined,
  jobs: readonly JobView[],
): Promise<Map<string, JobCost | null>> {
  const costs = new Map<string, JobCost | null>(jobs.map((job) => [job.id, null]))
  if (!pricing) return costs
  const charged = jobs.flatMap((job) =>
    job.status === 'succeeded' && job.holdId ? [{ job, holdId: job.holdId, kept: imagesKept(job) }] : [],
  )
  if (charged.length === 0) return costs
  const reports = await ledger.chargeReports(
    charged.map((c) => ({ holdId: c.holdId, images: { returned: c.job.images.length, kept: c.kept } })),
  )
  if (!reports.ok) return costs
  for (const { job, holdId, kept } of charged) {
    const charge = reports.value.get(holdId)
    if (charge) costs.set(job.id, toJobCost(charge, kept, pricing.bookAt(job.createdAt).currency))
  }
  return costs
}

/** Its favourites, or all its images when none is a favourite yet. */
function imagesKept(job: JobView): number {
  const favourites = job.images.filter((i) => i.favourite).length
  return favourites > 0 ? favourites : job.images.length
}

function toJobCost(charge: ChargeReport, kept: number, bookCurrency: string): JobCost {
  // A currency whose credits cost nothing (free credits granted in it) adds no money to the job.
  const paid = charge.byCurrency.filter((line) => !line.cost.isZero())
  const lines: JobCostLine[] =
    paid.length > 0
      ? paid.map((line) => ({
          currency: line.currency,
          priceMinor: line.cost.shown(2),
          perImageKeptMinor: line.perImageKept?.shown(2) ?? null,
        }))
      : [{ currency: bookCurrency, priceMinor: '0.00', perImageKeptMinor: kept > 0 ? '0.00' : null }]
  const single = lines.length === 1 ? lines[0]! : null
  return {
    credits: charge.credits,
    imagesKept: kept,
    byCurrency: lines,
    currency: single?.currency ?? null,
    priceMinor: single?.priceMinor ?? null,
    perImageKeptMinor: single?.perImageKeptMinor ?? null,
  }
}
