import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { Clock } from '../../util/clock.ts'
import type { PricingCatalog } from '../ops/allowances.ts'
import type { PriceBook } from './book.ts'
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
    const books = [{ book: LABS_2022, effectiveFrom: Date.parse(LABS_2022.effectiveFrom), activatedAt: 0 }]
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
   * Activates a validated book from `from` (default: the book's own `effectiveFrom`). The date may
   * not be in the past: charges and grants already made were priced by the book then in force.
   */
  async activate(
    book: PriceBook,
    from?: number,
  ): Promise<{ ok: true; value: BookVersion } | { ok: false; error: ActivateRefusal }> {
    const now = this.clock.now()
    const effectiveFrom = from ?? Date.parse(book.effectiveFrom)
    if (effectiveFrom < now) {
      return {
        ok: false,
        error: {
          code: 'VALIDATION',
          field: 'effectiveFrom',
          message: `effectiveFrom: ${new Date(effectiveFrom).toISOString()} is in the past; a new version takes effect from now on`,
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
