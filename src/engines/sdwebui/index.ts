import { z } from 'zod'
import type { EngineDeps, ImageEngine } from '../engine.ts'
import { modelList } from '../model-list.ts'
import { SdWebUiEngine } from './engine.ts'

export const name = 'sdwebui'

export interface SdWebUiSettings {
  /** One WebUI or several (runs go to the least busy healthy one), in the order listed. */
  readonly urls: readonly string[]
  readonly models: readonly string[]
  readonly auth: { readonly username: string; readonly password: string } | null
}

/**
 * `EASEL_SDWEBUI_URLS`: WebUI addresses separated by commas (blanks dropped); each an http(s) URL,
 * none twice.
 */
const urlList = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const urls = (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
    for (const url of urls) {
      if (!isHttpUrl(url)) ctx.addIssue({ code: 'custom', message: `"${url}" is not an http(s) URL` })
    }
    const twice = urls.find((url, i) => urls.indexOf(url) !== i)
    if (twice) ctx.addIssue({ code: 'custom', message: `lists ${twice} twice` })
    return urls
  })

/**
 * On when EASEL_SDWEBUI_URLS (several WebUIs) or EASEL_SDWEBUI_URL (one, the older form) is set,
 * not both; EASEL_SDWEBUI_AUTH is `user:password` (the password may hold `:`) for every WebUI
 * whose URL carries no credentials of its own.
 */
export const configSchema = z
  .object({
    EASEL_SDWEBUI_URL: z.string().url('must be a URL').optional(),
    EASEL_SDWEBUI_URLS: urlList,
    EASEL_SDWEBUI_MODELS: modelList('stable-diffusion'),
    EASEL_SDWEBUI_AUTH: z
      .string()
      .optional()
      .refine((v) => v === undefined || v === '' || /^[^:]+:.+$/.test(v), {
        message: 'must be user:password',
      }),
  })
  .superRefine((e, ctx) => {
    if (e.EASEL_SDWEBUI_URL && e.EASEL_SDWEBUI_URLS.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['EASEL_SDWEBUI_URLS'],
        message: 'set it or EASEL_SDWEBUI_URL (the one-WebUI form), not both',
      })
    }
  })
  .transform((e): SdWebUiSettings | null => {
    const urls = e.EASEL_SDWEBUI_URLS.length > 0 ? e.EASEL_SDWEBUI_URLS : [e.EASEL_SDWEBUI_URL ?? '']
    if (!urls[0]) return null
    const [username, ...password] = (e.EASEL_SDWEBUI_AUTH ?? '').split(':')
    return {
      urls,
      models: e.EASEL_SDWEBUI_MODELS,
      auth: e.EASEL_SDWEBUI_AUTH ? { username: username!, password: password.join(':') } : null,
    }
  })

export function create(settings: SdWebUiSettings, deps: EngineDeps): ImageEngine {
  return new SdWebUiEngine({
    urls: settings.urls,
    models: settings.models,
    auth: settings.auth,
    ...(deps.log ? { log: deps.log } : {}),
  })
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
  } catch {
    return false
  }
}
