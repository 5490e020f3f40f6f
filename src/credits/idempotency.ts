import { createHash } from 'node:crypto'
import type { SqlTx } from '../db/writer/index.ts'
import { type CreditError, fail, type Result } from './errors.ts'

/** A stable fingerprint of a request: the operation and its canonical (key-sorted) JSON. */
export function requestHash(operation: string, request: unknown): string {
  return createHash('sha256').update(operation).update('\0').update(canonicalJson(request)).digest('hex')
}

function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null'
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

/**
 * Runs `work` at most once per idempotency key. A key seen before with the same request replays the
 * stored answer; with a different request it is refused. Only successful outcomes are stored: a
 * refusal changed nothing, so trying again may rightly succeed. The key row is written in the same
 * transaction as the work, so the two commit (or vanish) together.
 */
export async function withIdempotency<T>(
  tx: SqlTx,
  key: string | undefined,
  operation: string,
  request: unknown,
  now: number,
  work: () => Promise<Result<T>>,
): Promise<Result<T>> {
  if (key === undefined) return work()
  const hash = requestHash(operation, request)
  const [seen] = await tx.all<{ operation: string; request_hash: string; response: string }>(
    'select operation, request_hash, response from idempotency_keys where key = ?',
    [key],
  )
  if (seen) {
    if (seen.operation !== operation || seen.request_hash !== hash) {
      return fail({
        code: 'IDEMPOTENCY_CONFLICT',
        key,
        message: `idempotency key "${key}" was already used for a different request`,
      } satisfies CreditError)
    }
    return { ok: true, value: JSON.parse(seen.response) as T }
  }
  const result = await work()
  if (result.ok) {
    tx.write(
      'insert into idempotency_keys (key, operation, request_hash, response, created_at) values (?, ?, ?, ?, ?)',
      [key, operation, hash, JSON.stringify(result.value), now],
      1,
    )
  }
  return result
}
