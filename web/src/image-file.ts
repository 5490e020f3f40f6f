import { IMAGE_SIZES, type ImageSize } from '../../src/contracts/limits.ts'

/** Sizes engines draw, largest first; an upload is made a square PNG of the largest one it covers. */
const SIDES = [...IMAGE_SIZES].reverse()

export interface SquareImage {
  blob: Blob
  url: string
  size: ImageSize
}

/**
 * Any picture a browser can read (PNG, JPEG, WebP…) as the square PNG the API takes: the centre
 * square, scaled to 1024, 512 or 256 pixels a side.
 */
export async function squarePng(file: Blob): Promise<SquareImage> {
  let bitmap: ImageBitmap
  try {
    bitmap = await createImageBitmap(file)
  } catch {
    throw new Error('This file is not an image the browser can read. Choose a PNG, JPEG or WebP picture.')
  }
  const side = Math.min(bitmap.width, bitmap.height)
  const size = SIDES.find((s) => side >= s) ?? 256
  const canvas = document.createElement('canvas')
  canvas.width = size
  canvas.height = size
  const ctx = canvas.getContext('2d')!
  ctx.imageSmoothingQuality = 'high'
  ctx.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, size, size)
  bitmap.close()
  const blob = await canvasPng(canvas)
  return { blob, url: URL.createObjectURL(blob), size }
}

export function canvasPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (b) => (b ? resolve(b) : reject(new Error('The image could not be encoded.'))),
      'image/png',
    ),
  )
}
