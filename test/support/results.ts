import type { CreditError, Result } from '../../src/credits/index.ts'

/** The value of a result the test expects to succeed; fails the test with the error otherwise. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`)
  return result.value
}

/** The error of a result the test expects to be refused; fails the test with the value otherwise. */
export function refusal<T>(result: Result<T>): CreditError {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`)
  return result.error
}
