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
  for await (const part of request.parts({
    limits: { fileSize: maxBytes, files: 4, fields: 30, fieldSize: 64 * 1024 },
  })) {
    const name = part.fieldname.replace(/\[\]$/, '')
    if (part.type === 'file') {
      if (!fileFields.includes(name)) {
        // Drain it: an unexpected file is refused below, after the stream is consumed.
        await part.toBuffer().catch(() => {})
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
          throw new ApiError(
            'PAYLOAD_TOO_LARGE',
            `${name} must be at most ${(maxBytes / 1024 / 1024).toFixed(1)} MB`,
            {
              field: name,
            },
          )
        }
        throw error
      }
      files.set(name, [...(files.get(name) ?? []), bytes])
    } else {
      fields[name] = String(part.value)
    }
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
