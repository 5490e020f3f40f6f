import type { FastifyRequest } from 'fastify'
import { ApiError } from './errors.ts'

export interface MultipartForm {
  fields: Record<string, string>
  /** The named file's bytes; with `required`, a missing file is a VALIDATION error. */
  file(name: string, required: boolean): Buffer | null
}

/**
 * Reads a multipart body whole: text fields, and the expected files (each at most `maxBytes`).
 * OpenAI's SDK sends one image as `image`, several as `image[]`; Easel edits one image at a time.
 */
export async function readMultipart(
  request: FastifyRequest,
  maxBytes: number,
  fileFields: readonly string[],
): Promise<MultipartForm> {
  if (!request.isMultipart()) {
    throw new ApiError(
      'UNSUPPORTED_MEDIA_TYPE',
      'this endpoint takes multipart/form-data (an image file and fields)',
    )
  }
  const fields: Record<string, string> = {}
  const files = new Map<string, Buffer[]>()
  const limits = { fileSize: maxBytes, files: 4, fields: 30, fieldSize: 64 * 1024 }
  try {
    for await (const part of request.parts({ limits })) {
      const name = part.fieldname.replace(/\[\]$/, '')
      if (part.type === 'file') {
        if (!fileFields.includes(name)) {
          throw new ApiError(
            'VALIDATION',
            `${name}: unexpected file field (this endpoint takes ${fileFields.join(' and ')})`,
            {
              field: name,
            },
          )
        }
        let bytes: Buffer
        try {
          bytes = await part.toBuffer()
        } catch (error) {
          if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
            throw new ApiError('PAYLOAD_TOO_LARGE', `${name} must be at most ${megabytes(maxBytes)} MB`, {
              field: name,
            })
          }
          throw error
        }
        files.set(name, [...(files.get(name) ?? []), bytes])
      } else {
        if (part.valueTruncated) {
          throw new ApiError('VALIDATION', `${name} must be at most ${limits.fieldSize / 1024} KB`, {
            field: name,
          })
        }
        const value = String(part.value)
        if (fileFields.includes(name)) {
          throw new ApiError('VALIDATION', `${name} must be sent as a file (a PNG), not as a text field`, {
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
    throw multipartError(error, maxBytes)
  }
  return {
    fields,
    file(name, required) {
      const got = files.get(name) ?? []
      if (got.length > 1) {
        throw new ApiError('VALIDATION', `${name}: send one image (Easel edits one image at a time)`, {
          field: name,
        })
      }
      if (got.length === 0 || got[0]!.length === 0) {
        if (required) throw new ApiError('VALIDATION', `${name} is required (a PNG file)`, { field: name })
        return null
      }
      return got[0]!
    },
  }
}

/** The upload parser's refusals, in words; anything it throws about the body is the client's. */
function multipartError(error: unknown, maxBytes: number): ApiError {
  if (error instanceof ApiError) return error
  const code = (error as { code?: string }).code
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE': {
      const mb = maxBytes / 1024 / 1024
      return new ApiError(
        'PAYLOAD_TOO_LARGE',
        `each file must be at most ${Number.isInteger(mb) ? mb : mb.toFixed(2)} MB`,
      )
    }
    case 'FST_FILES_LIMIT':
      return new ApiError('VALIDATION', 'send at most 4 files (an image and a mask)')
    case 'FST_FIELDS_LIMIT':
      return new ApiError('VALIDATION', 'send at most 30 fields')
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
