import { useCallback, useEffect, useState } from 'react'
import type { ImageBody } from '../../src/contracts/index.ts'
import { ApiProblem, api, messageOf } from './api.ts'
import { squarePng } from './image-file.ts'
import { navigate, useLocation } from './router.ts'

/** The picture an edit or variation starts from: one of the account's images, or an upload. */
export type Source =
  | { kind: 'image'; image: ImageBody; url: string; size: number }
  | { kind: 'upload'; blob: Blob; url: string; size: number; name: string }

const NOT_FOUND =
  'That image was not found: it may have been deleted, or the link is not quite right. Upload an image or pick one of yours instead.'

/** Whether the API said the linked image does not exist (or is not an image id at all). */
const notFound = (error: unknown) =>
  error instanceof ApiProblem &&
  (error.status === 404 || (error.code === 'VALIDATION' && error.field === 'id'))

/**
 * The source of the edit or variation page: `?image=img_…` names one of your images (so links
 * from a generated image work); an upload is kept in memory.
 */
export function useSource(): {
  source: Source | null
  loading: boolean
  problem: string | null
  upload(file: File): Promise<void>
  pick(imageId: string): void
  clear(): void
} {
  const { path, query } = useLocation()
  const imageId = query.get('image')
  const [source, setSource] = useState<Source | null>(null)
  const [loading, setLoading] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)

  useEffect(() => {
    if (!imageId) return
    let live = true
    setLoading(true)
    setProblem(null)
    api
      .image(imageId)
      .then((image) => live && setSource({ kind: 'image', image, url: image.contentUrl, size: image.width }))
      .catch((error) => live && setProblem(notFound(error) ? NOT_FOUND : messageOf(error)))
      .finally(() => live && setLoading(false))
    return () => {
      live = false
    }
  }, [imageId])

  useEffect(
    () => () => {
      if (source?.kind === 'upload') URL.revokeObjectURL(source.url)
    },
    [source],
  )

  const upload = useCallback(
    async (file: File) => {
      setProblem(null)
      setLoading(true)
      try {
        const square = await squarePng(file)
        if (imageId) navigate(path, { replace: true })
        setSource({ kind: 'upload', ...square, name: file.name })
      } catch (error) {
        setProblem(messageOf(error))
      } finally {
        setLoading(false)
      }
    },
    [imageId, path],
  )

  const pick = useCallback((id: string) => navigate(`${path}?image=${id}`, { replace: true }), [path])
  const clear = useCallback(() => {
    setSource(null)
    if (imageId) navigate(path, { replace: true })
  }, [imageId, path])

  return { source, loading, problem, upload, pick, clear }
}
