import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { Clock } from '../../util/clock.ts'
import type { PricingCatalog } from '../ops/allowances.ts'
import { cohortOpenAt, type PriceBook } from './book.ts'
import { type CloseCohortRefusal, closeCohort } from './close-cohort.ts'
import { LABS_2022 } from './labs-2022.ts'
import { validateBook } from './validate.ts'

export interface BookVersion {
  version: string
  effectiveFrom: number
  activatedAt: number
}

export type ActivateRefusal =
  | { code: 'VALIDATION'; field: string; message: string }
  | { code: 'VERSION_EXISTS'; message: string; version: string }

/** A cohort closed to sign-ups by a new book version (see {@link DatabasePricing.closeCohort}). */
export interface CohortClosed extends BookVersion {
  cohort: string
  /** From when sign-ups no longer join it (the new version's `joinUntil`). */
  joinUntil: number
  /**
   * Versions already activated for a later date that leave the cohort open: when one takes effect,
   * sign-ups join the cohort again unless it is closed there too (close it again then).
   */
  reopenedBy: BookVersion[]
}

/**
 * The price books in force over time: `labs-2022` from the beginning, then each version an
 * operator activated, from its date. A new version changes what is charged and granted from then
 * on; lots already granted keep their terms (they carry their own amount, expiry and cost).
 *
 * Books are held in memory so that pricing a hold costs no query; `refresh()` picks up versions
 * another process activated (the service calls it periodically).
 */
export class DatabasePricing implements PricingCatalog {
  private books: Array<{ book: PriceBook; effectiveFrom: number; activatedAt: number }> = []

  private constructor(
    private readonly db: Kysely<DB>,
    private readonly clock: Clock,
  ) {}

  static async load(db: Kysely<DB>, clock: Clock): Promise<DatabasePricing> {
    const catalog = new DatabasePricing(db, clock)
    await catalog.refresh()
    return catalog
  }

  async refresh(): Promise<void> {
    const rows = await this.db.selectFrom('price_books').selectAll().orderBy('effective_from').execute()
    // The built-in book has always been in force: before its date there was nothing else.
    const builtInFrom = LABS_2022.effectiveFrom === undefined ? 0 : Date.parse(LABS_2022.effectiveFrom)
    const books = [{ book: LABS_2022, effectiveFrom: builtInFrom, activatedAt: 0 }]
    for (const row of rows) {
      const checked = validateBook(JSON.parse(row.body))
      // Stored books were validated on the way in; one that no longer validates is a bug to see.
      if (!checked.ok)
        throw new Error(`stored price book ${row.version} is invalid: ${JSON.stringify(checked.problems)}`)
      books.push({ book: checked.book, effectiveFrom: row.effective_from, activatedAt: row.activated_at })
    }
    this.books = books.sort((a, b) => a.effectiveFrom - b.effectiveFrom)
  }

  /** The book in force at `at`: the newest whose date has come. */
  bookAt(at: number): PriceBook {
    let current = this.books[0]!.book
    for (const b of this.books) if (b.effectiveFrom <= at) current = b.book
    return current
  }

  versions(): BookVersion[] {
    return this.books.map((b) => ({
      version: b.book.version,
      effectiveFrom: b.effectiveFrom,
      activatedAt: b.activatedAt,
    }))
  }

  /**
   * Activates a validated book from `from`: a time, or `'now'`; left out, the book's own
   * `effectiveFrom`, or now when the book has none (a book file usually leaves the date out).
   * A time already past is refused, not moved: charges and grants made since were priced by the
   * book then in force, and a new version cannot change what they cost.
   *
   * @example
   * await catalog.activate(book)                        // from book.effectiveFrom, else from now
   * await catalog.activate(book, 'now')                 // → { ok: true, value: { effectiveFrom: now, … } }
   * await catalog.activate(book, Date.UTC(2020, 0, 1))  // → { ok: false, error: { code: 'VALIDATION', field: 'effectiveFrom', … } }
   */
  /**
   * Closes `cohort` to sign-ups from now: activates, from now, a copy of the book in force whose
   * cohort has `joinUntil` now (see `closeCohort`). Members keep the cohort and its bonus. Refused
   * when the book in force has no such cohort, or closes it already.
   *
   * @example
   * await catalog.closeCohort('beta')
   * // → { ok: true, value: { cohort: 'beta', version: 'labs-2022.beta-closed-…', joinUntil: now, … } }
   */
  async closeCohort(
    cohort: string,
  ): Promise<{ ok: true; value: CohortClosed } | { ok: false; error: CloseCohortRefusal | ActivateRefusal }> {
    await this.refresh()
    const now = this.clock.now()
    const closed = closeCohort(this.bookAt(now), cohort, now)
    if (!closed.ok) return closed
    const activated = await this.activate(closed.value, 'now')
    if (!activated.ok) return activated
    const later = this.books.filter((b) => b.effectiveFrom > activated.value.effectiveFrom)
    return {
      ok: true,
      value: {
        ...activated.value,
        cohort,
        joinUntil: now,
        reopenedBy: later
          .filter(
            (b) => Object.hasOwn(b.book.cohorts, cohort) && cohortOpenAt(b.book, cohort, b.effectiveFrom),
          )
          .map((b) => ({
            version: b.book.version,
            effectiveFrom: b.effectiveFrom,
            activatedAt: b.activatedAt,
          })),
      },
    }
  }

  async activate(
    book: PriceBook,
    from?: number | 'now',
  ): Promise<{ ok: true; value: BookVersion } | { ok: false; error: ActivateRefusal }> {
    const now = this.clock.now()
    const effectiveFrom =
      from === 'now'
        ? now
        : (from ?? (book.effectiveFrom === undefined ? now : Date.parse(book.effectiveFrom)))
    if (effectiveFrom < now) {
      return {
        ok: false,
        error: {
          code: 'VALIDATION',
          field: 'effectiveFrom',
          message:
            `not activated: price book ${book.version} would take effect from ` +
            `${new Date(effectiveFrom).toISOString()}, which has passed (it is ${new Date(now).toISOString()}); ` +
            'what was charged and granted since was priced by the book then in force. ' +
            'Activate it from now or from a later date.',
        },
      }
    }
    if (this.books.some((b) => b.book.version === book.version)) {
      return {
        ok: false,
        error: {
          code: 'VERSION_EXISTS',
          version: book.version,
          message: `price book version ${book.version} already exists`,
        },
      }
    }
    const body = JSON.stringify({ ...book, effectiveFrom: new Date(effectiveFrom).toISOString() })
    const inserted = await this.db
      .insertInto('price_books')
      .values({ version: book.version, effective_from: effectiveFrom, body, activated_at: now })
      .onConflict((oc) => oc.column('version').doNothing())
      .executeTakeFirst()
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
      return {
        ok: false,
        error: {
          code: 'VERSION_EXISTS',
          version: book.version,
          message: `price book version ${book.version} already exists`,
        },
      }
    }
    await this.refresh()
    return { ok: true, value: { version: book.version, effectiveFrom, activatedAt: now } }
  }
}
