import { z } from 'zod'
import { listOr, MODEL_NAME_MAX, OPERATIONS, SIZE_NAMES } from './limits.ts'

// Request fields more than one schema takes, each with the refusal it answers with.

/** `^job_[0-9a-z]{26}$`: the shape of Easel's prefixed, time-sortable ids. */
export const idPattern = (prefix: string) => new RegExp(`^${prefix}_[0-9a-z]{26}$`)

/** An id of one kind, e.g. `idOf('img', 'must be an img_… id')`. */
export const idOf = (prefix: string, message: string) => z.string().regex(idPattern(prefix), message)

/** Ids in paths: checked for shape, so that garbage is a clear 400 at once rather than a query. */
export const IdParam = (prefix: string) => z.object({ id: idOf(prefix, `must be a ${prefix}_… id`) })

export const OperationField = z.enum(OPERATIONS, { error: `must be ${listOr(OPERATIONS)}` })

export const SizeField = z.enum(SIZE_NAMES, { error: `must be ${listOr(SIZE_NAMES)}` })

export const ModelField = z.string().max(MODEL_NAME_MAX)

/** `?favourites=true`: only favourites. */
export const FavouritesFlag = z.enum(['true', 'false'])
