import { z } from 'zod'
import { IMAGE_SIZES, listOr, MODEL_NAME_MAX, OPERATIONS, QUALITIES, SIZE_NAMES } from './limits.ts'

// Request fields more than one schema takes, each with the refusal it answers with.

/** `^job_[0-9a-z]{26}$`: the shape of Easel's prefixed, time-sortable ids. */
export const idPattern = (prefix: string) => new RegExp(`^${prefix}_[0-9a-z]{26}$`)

/** An id of one kind, e.g. `idOf('img', 'must be an img_… id')`. */
export const idOf = (prefix: string, message: string) => z.string().regex(idPattern(prefix), message)

/** Ids in paths: checked for shape, so that garbage is a clear 400 at once rather than a query. */
export const IdParam = (prefix: string) => z.object({ id: idOf(prefix, `must be a ${prefix}_… id`) })

export const OperationField = z.enum(OPERATIONS, { error: `must be ${listOr(OPERATIONS)}` })

export const SizeField = z.enum(SIZE_NAMES, { error: `must be ${listOr(SIZE_NAMES)}` })

/**
 * A job's size: a name (`1536x1024`), or, as before sizes had names, a square's side in pixels
 * (`512`). Multipart fields are text, so there the side may come as `"512"`.
 */
const JOB_SIZE_TEXT = `must be ${SIZE_NAMES.join(', ')}, or a square's side (${listOr(IMAGE_SIZES.map(String))})`
export const JobSizeField = z.union([z.enum(SIZE_NAMES), z.literal(IMAGE_SIZES)], { error: JOB_SIZE_TEXT })
export const JobSizeText = z.enum([...SIZE_NAMES, ...IMAGE_SIZES.map(String)], { error: JOB_SIZE_TEXT })

export const QualityField = z.enum(QUALITIES, { error: `must be ${listOr(QUALITIES)}` })

export const ModelField = z.string().max(MODEL_NAME_MAX)

/** `?favourites=true`: only favourites. */
export const FavouritesFlag = z.enum(['true', 'false'])
