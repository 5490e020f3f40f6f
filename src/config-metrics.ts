import { inspect } from 'node:util'
import { z } from 'zod'

/**
 * `GET /metrics` (Prometheus): the bearer token a scraper must send (EASEL_METRICS_TOKEN), or null
 * when the endpoint is open to whoever reaches it. Its JSON and `util.inspect` forms say whether a
 * token is set, never the token.
 */
export interface MetricsConfig {
  readonly token: string | null
}

/**
 * A token a header can carry as it is (visible ASCII, no spaces) and long enough not to be guessed;
 * `openssl rand -hex 32` makes one.
 */
const TOKEN = /^[\x21-\x7e]{16,512}$/

/** The variables read here; `config.ts` merges them into its own schema. */
export const metricsEnvShape = {
  // The value is never repeated in a message: it is a secret.
  EASEL_METRICS_TOKEN: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || TOKEN.test(v), {
      message:
        'must be 16 to 512 visible characters without spaces, e.g. the output of `openssl rand -hex 32`',
    }),
}

type MetricsEnv = z.output<z.ZodObject<typeof metricsEnvShape>>

/**
 * The metrics settings; an empty EASEL_METRICS_TOKEN is the same as none.
 *
 * @example
 * metricsConfig({ EASEL_METRICS_TOKEN: 'a3f9…' }) // { token: 'a3f9…' }, printed as { token: '[set]' }
 * metricsConfig({})                               // { token: null }: /metrics is open
 */
export function metricsConfig(e: MetricsEnv): MetricsConfig {
  const token = e.EASEL_METRICS_TOKEN || null
  const config = { token }
  const printable = () => ({ token: token === null ? null : '[set]' })
  Object.defineProperty(config, 'toJSON', { value: printable, enumerable: false })
  Object.defineProperty(config, inspect.custom, { value: printable, enumerable: false })
  return config
}
