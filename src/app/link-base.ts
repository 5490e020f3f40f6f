import type { Config } from '../config.ts'

/**
 * Where links in background mail point: EASEL_PUBLIC_URL (always set when mail is on), else the
 * address the server listens on (mail is then written to the log, read by the operator).
 */
export function linkBaseOf(config: Pick<Config, 'server'>): string {
  const { publicUrl, host, port } = config.server
  if (publicUrl) return publicUrl
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`
}

/** What billing needs of the configuration: the seller, where its mail links, top-up limits. */
export function billingSettingsOf(config: Pick<Config, 'server' | 'billing'>) {
  return {
    seller: config.billing.seller,
    linkBase: linkBaseOf(config),
    autoTopUpMaxPerDay: config.billing.autoTopUpMaxPerDay,
  }
}
