import { z } from 'zod'

/**
 * A body read through its contract schema (src/contracts/). The test fails, naming each field that
 * does not fit, when the server answered something the contract does not promise: every test that
 * reads a response this way also checks it against the API as the web app and clients see it.
 *
 * @example
 * const credits = parseAs(CreditsBody, res.json())
 * expect(credits.available).toBe(15)
 */
export function parseAs<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body)
  if (parsed.success) return parsed.data
  const shown = JSON.stringify(body) ?? String(body)
  throw new Error(
    `the response does not match its contract:\n${z.prettifyError(parsed.error)}\nbody: ${shown.slice(0, 2000)}`,
  )
}

/**
 * The JSON body of a response, fetch's `Response` or inject()'s, read through a contract schema.
 *
 * @example
 * const job = await readJson(await fetch(`${url}/api/jobs/${id}`, { headers }), JobBody)
 */
export async function readJson<S extends z.ZodType>(
  response: { json(): unknown },
  schema: S,
): Promise<z.output<S>> {
  return parseAs(schema, await response.json())
}
