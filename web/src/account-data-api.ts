import type { DeleteAccountRequest, DeletionPreviewBody } from '../../src/contracts/index.ts'
import { call } from './api.ts'

/** The address of the export: a plain link downloads it (the browser sends the session cookie). */
export const EXPORT_URL = '/api/account/export'

/** The person's own data: what deleting the account would lose, and the deletion. */
export const accountDataApi = {
  deletionPreview: () => call<DeletionPreviewBody>('GET', '/api/account/deletion'),
  deleteAccount: (password: string, confirm: string) =>
    call<void>('POST', '/api/account/delete', { password, confirm } satisfies DeleteAccountRequest),
}
