import type { Accounts, User } from '../accounts/index.ts'
import type { Purchases } from '../billing/purchases.ts'
import type { DeletionPreviewBody } from '../contracts/index.ts'
import type { Ledger } from '../credits/index.ts'
import type { Database } from '../db/open.ts'
import type { ImageStore } from '../studio/image-store.ts'
import type { Clock } from '../util/clock.ts'
import { type Deleted, type DeletionError, deleteAccount } from './deletion.ts'
import { deletionPreview } from './deletion-preview.ts'
import { exportFileName, exportZip } from './export.ts'

/** What the person's data is read from and erased in: the composition root's services. */
export interface AccountDataServices {
  db: Database
  clock: Clock
  ledger: Ledger
  accounts: Accounts
  purchases: Purchases
  /** The images are in the studio's store. */
  studio: { imageStore: ImageStore }
}

/**
 * A person's own data across the services that hold it (accounts, credits, studio, purchases):
 * exported as a zip, and erased when they delete their account. Reads go through each service's
 * public reads or its tables; the deletion is one write of its own (`erase.ts`).
 *
 * @example
 * const data = new AccountData(services)
 * reply.type('application/zip').send(data.exportZip(user, { currentToken }))
 * const preview = await data.deletionPreview(user)     // paid credits that would be lost…
 * const done = await data.deleteAccount(user, { password, confirm: user.email })
 */
export class AccountData {
  private readonly store: ImageStore

  constructor(private readonly services: AccountDataServices) {
    this.store = services.studio.imageStore
  }

  /** The export's file name today. */
  exportFileName(): string {
    return exportFileName(this.services.clock.now())
  }

  /** README.txt, account.json and every stored image, as a zip written while it is read. */
  exportZip(user: User, options: { currentToken: string | null }): NodeJS.ReadableStream {
    return exportZip({ ...this.services, store: this.store }, user, {
      now: this.services.clock.now(),
      currentToken: options.currentToken,
    })
  }

  /** What deleting the account would lose; reads only. */
  deletionPreview(user: User): Promise<DeletionPreviewBody> {
    return deletionPreview(this.services, user)
  }

  /** Deletes the account (see `deletion.ts`); refusals change nothing. */
  deleteAccount(
    user: User,
    input: { password: unknown; confirm: unknown; address?: string },
  ): Promise<{ ok: true; value: Deleted } | { ok: false; error: DeletionError }> {
    return deleteAccount({ ...this.services, store: this.store }, user, input)
  }
}
