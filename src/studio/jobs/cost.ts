import type { Ledger, PricingCatalog } from '../../credits/index.ts'
import type { JobView } from './rows.ts'

/**
 * What a job really cost once it succeeded: its credits and the money those credits were bought
 * for (free credits cost nothing), in minor units, in total and per image kept (its favourites,
 * or all its images when none is a favourite yet).
 */
export interface JobCost {
  credits: number
  currency: string
  priceMinor: string
  perImageKeptMinor: string | null
  imagesKept: number
}

/** The job's cost from its charge on the ledger; null until it succeeded, or without a price book. */
export async function jobCost(
  ledger: Pick<Ledger, 'chargeReport'>,
  pricing: PricingCatalog | undefined,
  job: JobView,
): Promise<JobCost | null> {
  if (job.status !== 'succeeded' || !job.holdId || !pricing) return null
  const favourites = job.images.filter((i) => i.favourite).length
  const kept = favourites > 0 ? favourites : job.images.length
  const charge = await ledger.chargeReport(job.holdId, { returned: job.images.length, kept })
  if (!charge.ok) return null
  return {
    credits: charge.value.credits,
    currency: pricing.bookAt(job.createdAt).currency,
    priceMinor: charge.value.cost.shown(2),
    perImageKeptMinor: charge.value.perImageKept?.shown(2) ?? null,
    imagesKept: kept,
  }
}
