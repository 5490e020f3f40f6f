// A person's own data across the services: export it, delete the account.

export { AccountData, type AccountDataServices } from './account-data.ts'
export type { Deleted, DeletionError } from './deletion.ts'
export { deletedEmail } from './erase.ts'
export { PERSONAL_TABLES } from './personal-tables.ts'
