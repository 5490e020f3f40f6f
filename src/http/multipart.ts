import type { FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from './errors.ts'

export interface MultipartForm {
  fields: Record<string, string>
  /** The named file's bytes; with `required`, a missing file is a VALIDATION error. */
  file(name: string, required: boolean): Buffer | null
}

/** Text fields a form may carry, and the longest one (a prompt of 4000 characters fits many times). */
const MAX_FIELDS = 30
const MAX_FIELD_BYTES = 64 * 1024
/**
 * The whole body may hold two files (the most any form takes: an image and a mask) at the upload
 * limit, plus this much for the text fields and every part's headers.
 */
const FILES_PER_BODY = 2
const FIELDS_ALLOWANCE = 256 * 1024

/**
 * Reads a multipart form as it streams in: text fields, and each of `fileFields` at most once and
 * at most `maxFileBytes` long. OpenAI's SDK sends one image as `image`, several as `image[]`; Easel
 * edits one image at a time.
 *
 * Bounded on every side, and refused as early as possible: a body whose Content-Length is over
 * the limit is refused before a byte is read, and one without (chunked) as soon as it passes it,
 * so junk around a form is never read to its end; a file the route does not take, or a second of
 * one it does, is refused when its part begins, before its bytes are read; a file over the limit
 * when it passes it. What a refused request has not sent yet is left unread and its connection
 * closed after the answer (`reply` carries that), so a client cannot make Easel read on.
 */
export async function readMultipart(
  request: FastifyRequest,
  reply: FastifyReply,
  maxFileBytes: number,
  fileFields: readonly string[],
): Promise<MultipartForm> {
  if (!request.isMultipart()) {
    throw new ApiError(
      'UNSUPPORTED_MEDIA_TYPE',
      'this endpoint takes multipart/form-data (an image file and fields)',
    )
  }
  const maxBodyBytes = FILES_PER_BODY * maxFileBytes + FIELDS_ALLOWANCE
  const tooLarge = (what: string) =>
    new ApiError(
      'PAYLOAD_TOO_LARGE',
      `${what}: a form may be at most ${megabytes(maxBodyBytes)} MB (two files of at most ${megabytes(maxFileBytes)} MB and ${FIELDS_ALLOWANCE / 1024} KB for the rest)`,
    )
  const raw = request.raw
  const stopReading = () => {
    if (raw.readableEnded) return
    raw.unpipe()
    raw.pause()
    // Like Fastify's own refusal of a body over its limit: the client may still be sending.
    reply.header('connection', 'close')
  }
  const declared = Number(request.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxBodyBytes) {
    stopReading()
    throw tooLarge(`the body is too large (${megabytes(declared)} MB)`)
  }

  const fields: Record<string, string> = {}
  const files = new Map<string, Buffer>()
  // The parser stops at the first file more than the route takes, so that it reaches the check
  // below by name ("mask: unexpected file field") rather than only as a count.
  const limits = {
    fileSize: maxFileBytes,
    files: fileFields.length + 1,
    fields: MAX_FIELDS,
    fieldSize: MAX_FIELD_BYTES,
    parts: fileFields.length + 1 + MAX_FIELDS,
  }
  let received = 0
  let overLimit: (error: ApiError) => void = () => {}
  const aborted = new Promise<never>((_, reject) => {
    overLimit = reject
  })
  aborted.catch(() => {})
  const count = (chunk: Buffer) => {
    received += chunk.length
    if (received <= maxBodyBytes) return
    // At once, from inside the stream's own event: a sender that floods it synchronously (one in
    // the same process) would otherwise be read to its end before the refusal could run.
    stopReading()
    overLimit(tooLarge('the body is too large'))
  }
  /** What the parser gives next, unless the body passes its limit first. */
  const orAborted = <T>(next: Promise<T>): Promise<T> => {
    next.catch(() => {})
    return Promise.race([next, aborted])
  }

  const parts = request.parts({ limits })[Symbol.asyncIterator]()
  // Counted as it arrives: the first `next()` below pipes the body into the parser in this same
  // tick, and a stream only starts flowing on the next.
  raw.on('data', count)
  try {
    for (;;) {
      const step = await orAborted(parts.next())
      if (step.done) break
      const part = step.value
      const name = part.fieldname.replace(/\[\]$/, '')
      if (part.type === 'file') {
        if (!fileFields.includes(name)) {
          throw new ApiError(
            'VALIDATION',
            `${name}: unexpected file field (this endpoint takes ${fileFields.join(' and ')})`,
            { field: name },
          )
        }
        if (files.has(name)) {
          throw new ApiError(
            'VALIDATION',
            `${name}: send one image (too many files: Easel edits one image at a time)`,
            { field: name },
          )
        }
        let bytes: Buffer
        try {
          bytes = await orAborted(part.toBuffer())
        } catch (error) {
          if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
            throw new ApiError('PAYLOAD_TOO_LARGE', `${name} must be at most ${megabytes(maxFileBytes)} MB`, {
              field: name,
            })
          }
          throw error
        }
        files.set(name, bytes)
      } else {
        if (part.valueTruncated) {
          throw new ApiError('VALIDATION', `${name} must be at most ${MAX_FIELD_BYTES / 1024} KB`, {
            field: name,
          })
        }
        const value = String(part.value)
        if (fileFields.includes(name)) {
          throw new ApiError('VALIDATION', `${name} must be sent as a file (an image), not as a text field`, {
            field: name,
          })
        }
        if (value.includes('\u0000')) {
          throw new ApiError('VALIDATION', `${name} must not contain NUL characters`, { field: name })
        }
        fields[name] = value
      }
    }
  } catch (error) {
    stopReading()
    throw multipartError(error, maxFileBytes, fileFields)
  } finally {
    raw.off('data', count)
  }
  return {
    fields,
    file(name, required) {
      const got = files.get(name)
      if (!got || got.length === 0) {
        if (required) {
          const what = name === 'mask' ? 'a PNG file' : 'a PNG, JPEG or WebP file'
          throw new ApiError('VALIDATION', `${name} is required (${what})`, { field: name })
        }
        return null
      }
      return got
    },
  }
}

/** The upload parser's refusals, in words; anything it throws about the body is the client's. */
function multipartError(error: unknown, maxFileBytes: number, fileFields: readonly string[]): ApiError {
  if (error instanceof ApiError) return error
  const code = (error as { code?: string }).code
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new ApiError('PAYLOAD_TOO_LARGE', `each file must be at most ${megabytes(maxFileBytes)} MB`)
    case 'FST_FILES_LIMIT':
      return new ApiError(
        'VALIDATION',
        `too many files: this endpoint takes at most ${fileFields.length} (${fileFields.join(' and ')})`,
      )
    case 'FST_FIELDS_LIMIT':
      return new ApiError('VALIDATION', `too many fields: send at most ${MAX_FIELDS}`)
    case 'FST_PARTS_LIMIT':
      return new ApiError('VALIDATION', 'the form has too many parts')
  }
  const status = (error as { statusCode?: number }).statusCode
  if (typeof status === 'number' && status >= 400 && status < 500)
    return new ApiError('VALIDATION', (error as Error).message)
  return new ApiError('VALIDATION', `the multipart body could not be read: ${(error as Error).message}`)
}

/** The limit in MB as people write it: 4, 0.5, 1.25. */
const megabytes = (bytes: number): string => String(Math.round((bytes / 1024 / 1024) * 100) / 100)
