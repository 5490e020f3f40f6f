// The bounds and closed sets of the API, written once: the route schemas, the studio's own checks,
// the engines and the web app all read them from here. No zod in this file, so that the web app
// can import a number without bundling every schema.

/** What a job does. */
export const OPERATIONS = ['generate', 'edit', 'variation'] as const
export type Operation = (typeof OPERATIONS)[number]

/**
 * Square sizes, in pixels per side: what every engine can make, and what uploads are normalised to
 * (edits and variations start from a square).
 */
export const IMAGE_SIZES = [256, 512, 1024] as const
export type ImageSize = (typeof IMAGE_SIZES)[number]

/** `px` as one of the square sizes, or null when it is not one. */
export const imageSizeOf = (px: number): ImageSize | null => IMAGE_SIZES.find((s) => s === px) ?? null

/**
 * Every size Easel makes, as requests name it (`WIDTHxHEIGHT`, OpenAI's spelling): the squares,
 * the landscape and portrait sizes of OpenAI's gpt-image models (1536x1024, 1024x1536) and those of
 * dall-e-3 (1792x1024, 1024x1792). Which of them a model makes is its engine's to say.
 */
export const SIZE_NAMES = [
  '256x256',
  '512x512',
  '1024x1024',
  '1536x1024',
  '1024x1536',
  '1792x1024',
  '1024x1792',
] as const
export type SizeName = (typeof SIZE_NAMES)[number]

/** The squares by name: the sizes of engines that draw squares only (sketch). */
export const SQUARE_SIZE_NAMES = ['256x256', '512x512', '1024x1024'] as const satisfies readonly SizeName[]

/** The size a request that names none gets (OpenAI's default too). */
export const DEFAULT_SIZE: SizeName = '1024x1024'

/** A square size by name: `sizeName(512)` is `512x512`. */
export const sizeName = (size: ImageSize): SizeName => `${size}x${size}` as SizeName

/** `value` as one of the size names, or null when it is not one (`640x480`, `auto`, `big`). */
export const sizeNameOf = (value: string): SizeName | null => SIZE_NAMES.find((s) => s === value) ?? null

/** The pixels of a size: `dimensionsOf('1536x1024')` is `{ width: 1536, height: 1024 }`. */
export function dimensionsOf(size: SizeName): { width: number; height: number } {
  const [width, height] = size.split('x').map(Number)
  return { width: width!, height: height! }
}

/**
 * Image quality as OpenAI's Images API names it: gpt-image models take low, medium, high (and auto),
 * dall-e-3 standard and hd, dall-e-2 standard only. `auto` is resolved by the engine before a job
 * is priced or run, so a job always records (and is charged for) a real quality.
 */
export const QUALITIES = ['low', 'medium', 'high', 'auto', 'standard', 'hd'] as const
export type Quality = (typeof QUALITIES)[number]
/** A quality an engine is asked for: never `auto`, which is resolved first. */
export type ResolvedQuality = Exclude<Quality, 'auto'>
export const RESOLVED_QUALITIES = QUALITIES.filter((q): q is ResolvedQuality => q !== 'auto')

/** The longest reason a report of an image, or its removal, may give. */
export const MODERATION_REASON_MAX = 400

/** Images one job may make: OpenAI's own limit on `n`. */
export const MAX_IMAGES_PER_JOB = 10

/** The largest seed: a signed 32-bit integer, which every engine that takes a seed accepts. */
export const MAX_SEED = 2 ** 31 - 1

/** A model name as a request gives it. */
export const MODEL_NAME_MAX = 100

/**
 * The longest prompt by default. An installation may change it (EASEL_MAX_PROMPT_CHARS): the
 * server's refusal is what binds, this is what a form offers before asking.
 */
export const DEFAULT_MAX_PROMPT_CHARS = 4000

/** The longest email address (RFC 5321's path limit less its angle brackets). */
export const EMAIL_MAX = 254

/** The longest password, in characters (code points). */
export const PASSWORD_MAX = 200

/** The longest name of an API key. */
export const KEY_NAME_MAX = 100

/** The longest an API key, an invite or granted credits can be made to last, in days (ten years). */
export const MAX_EXPIRY_DAYS = 3650

/** The longest reason an administrator gives for a grant (kept on the record, shown to the user). */
export const GRANT_REASON_MAX = 400

/** Packs bought at once, and the longest card security code. */
export const MAX_PACKS_PER_PURCHASE = 100
export const CVC_MAX = 4

/** "a, b or c": how a refusal lists the values it takes. */
export function listOr(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`
}

/** Every action the admin audit log records (a closed set, so it can be filtered by). */
export const AUDIT_ACTIONS = [
  'credits.grant',
  'credits.refund',
  'user.update',
  'pricebook.activate',
  'cohort.close',
  'apikey.revoke',
  'purchase.refund',
  'invite.create',
  'user.two-factor-reset',
  'account.deleted',
  'image.remove',
  'image.report.dismiss',
  'model-alias.set',
  'model-alias.delete',
] as const
