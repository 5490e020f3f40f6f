import type { QuoteBody } from '../../src/contracts/index.ts'
import { ApiProblem } from './api.ts'

/** How far a job is from being affordable: what it needs and what the account has. */
export interface Shortfall {
  needed: number
  available: number
}

/** The shortfall an API refusal reports, or null when the error is about something else. */
export function shortfallOf(error: unknown, fallbackNeeded = 1): Shortfall | null {
  if (!(error instanceof ApiProblem) || error.code !== 'INSUFFICIENT_CREDITS') return null
  return {
    needed: Number(error.details.requested ?? fallbackNeeded),
    available: Number(error.details.available ?? 0),
  }
}

/** Out of credits: as the last refusal said, else as the quote foresees. */
export function outOfCredits(short: Shortfall | null, quote: QuoteBody | null): Shortfall | null {
  return short ?? (quote && !quote.affordable ? { needed: quote.credits, available: quote.available } : null)
}
