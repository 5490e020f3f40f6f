import { z } from 'zod'
import type { EngineDeps, ImageEngine } from '../engine.ts'
import { modelList } from '../model-list.ts'
import { SdWebUiEngine } from './engine.ts'

export const name = 'sdwebui'

export interface SdWebUiSettings {
  readonly baseURL: string
  readonly models: readonly string[]
  readonly auth: { readonly username: string; readonly password: string } | null
}

/** On when EASEL_SDWEBUI_URL is set; EASEL_SDWEBUI_AUTH is `user:password` (the password may hold `:`). */
export const configSchema = z
  .object({
    EASEL_SDWEBUI_URL: z.string().url('must be a URL').optional(),
    EASEL_SDWEBUI_MODELS: modelList('stable-diffusion'),
    EASEL_SDWEBUI_AUTH: z
      .string()
      .optional()
      .refine((v) => v === undefined || v === '' || /^[^:]+:.+$/.test(v), {
        message: 'must be user:password',
      }),
  })
  .transform((e): SdWebUiSettings | null => {
    if (!e.EASEL_SDWEBUI_URL) return null
    const [username, ...password] = (e.EASEL_SDWEBUI_AUTH ?? '').split(':')
    return {
      baseURL: e.EASEL_SDWEBUI_URL,
      models: e.EASEL_SDWEBUI_MODELS,
      auth: e.EASEL_SDWEBUI_AUTH ? { username: username!, password: password.join(':') } : null,
    }
  })

export function create(settings: SdWebUiSettings, _deps: EngineDeps): ImageEngine {
  return new SdWebUiEngine({ baseURL: settings.baseURL, models: settings.models, auth: settings.auth })
}
