/**
 * A check of prompts and generated images beyond the blocklist (`content-policy.ts`): an outside
 * moderation service (EASEL_MODERATION). A flagged prompt is refused before anything is held; a
 * flagged image withholds the job's images and the job is not charged.
 */
export interface Moderation {
  /** The service's name, for logs and the admin (`openai`); `off` when nothing is checked. */
  readonly name: string
  /** Why the prompt may not go ahead (the categories flagged), or null when it may. */
  checkPrompt(prompt: string, signal: AbortSignal): Promise<ModerationFlag | null>
  /** Why the images may not be shown, or null when they may. */
  checkImages(pngs: readonly Buffer[], signal: AbortSignal): Promise<ModerationFlag | null>
}

export interface ModerationFlag {
  /** The categories the service flagged, as it names them (`violence`, `sexual/minors`…). */
  readonly categories: readonly string[]
}

/**
 * The moderation service could not give an answer (unreachable, an error, too slow). Moderation
 * fails closed: the prompt is refused, or the job's images are not kept, and nothing is charged.
 */
export class ModerationUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ModerationUnavailable'
  }
}

/** Nothing checked beyond the blocklist: the default. */
export const NO_MODERATION: Moderation = {
  name: 'off',
  checkPrompt: async () => null,
  checkImages: async () => null,
}

/** A flag as people read it: "violence, self-harm". */
export const flagText = (flag: ModerationFlag): string =>
  flag.categories.length > 0 ? flag.categories.join(', ') : 'flagged'
