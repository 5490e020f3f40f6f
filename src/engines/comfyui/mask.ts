import { decodePng, encodePng, pngInfo, type RgbaImage, resizeRgba } from '../../images/png.ts'

/**
 * Masks as ComfyUI reads them. OpenAI's convention (and so Easel's) is that fully transparent
 * pixels (alpha 0) of the mask are the area to change. ComfyUI's `LoadImageMask` with channel
 * `red` reads the red channel as the mask, 1 (white) = the area `VAEEncodeForInpaint` re-draws, 0
 * (black) = kept. So the mask is turned into an opaque black-and-white image: transparent → white.
 * (Its channel `alpha` would read `1 - alpha`, the same polarity as OpenAI's, but an opaque
 * black-and-white file is what an operator's own inpainting workflow most likely expects.)
 */

/**
 * OpenAI-style mask → ComfyUI mask (white = change), scaled to `width` × `height`.
 *
 * @example
 * const maskPng = comfyMaskFromOpenAi(request.mask, 512, 512) // upload; LoadImageMask channel red
 */
export function comfyMaskFromOpenAi(maskPng: Uint8Array, width: number, height: number): Buffer {
  return encodePng(resizeRgba(changeWhereTransparent(decodePng(maskPng)), width, height))
}

/**
 * The mask an edit without one takes from its image's transparency (OpenAI's rule for dall-e-2
 * edits): transparent pixels are the area to change. Null when no pixel is fully transparent.
 */
export function comfyMaskFromAlpha(imagePng: Uint8Array, width: number, height: number): Buffer | null {
  if (!pngInfo(imagePng)?.hasAlpha) return null
  const image = decodePng(imagePng)
  let transparent = false
  for (let i = 3; i < image.data.length && !transparent; i += 4) transparent = image.data[i] === 0
  if (!transparent) return null
  return encodePng(resizeRgba(changeWhereTransparent(image), width, height))
}

/** An image for `LoadImage` of exactly `width` × `height` (the bytes themselves when it already is). */
export function inputImage(png: Buffer, width: number, height: number): Buffer {
  const info = pngInfo(png)
  if (info && info.width === width && info.height === height) return png
  return encodePng(resizeRgba(decodePng(png), width, height))
}

/** Opaque white where alpha is 0, opaque black elsewhere. */
function changeWhereTransparent(image: RgbaImage): RgbaImage {
  const out = new Uint8Array(image.width * image.height * 4)
  for (let i = 0; i < out.length; i += 4) {
    const value = image.data[i + 3] === 0 ? 255 : 0
    out[i] = value
    out[i + 1] = value
    out[i + 2] = value
    out[i + 3] = 255
  }
  return { width: image.width, height: image.height, data: out }
}
