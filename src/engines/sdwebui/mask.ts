import { decodePng, encodePng } from '../../images/png.ts'

/**
 * Turns an OpenAI-style mask (fully transparent pixels, alpha 0, are the area to change) into the
 * mask the Stable Diffusion WebUI reads (white is inpainted, black is kept).
 *
 * The result is an opaque PNG on purpose: the WebUI reads an RGBA mask whose alpha varies by its
 * alpha channel instead of its brightness (`create_binary_mask`), and would then repaint the
 * opaque part — exactly the part OpenAI's convention keeps.
 *
 * @example
 * const webUiMask = openAiMaskToWebUi(request.mask) // send as `mask`, with inpainting_mask_invert 0
 */
export function openAiMaskToWebUi(maskPng: Uint8Array): Buffer {
  const mask = decodePng(maskPng)
  const out = new Uint8Array(mask.width * mask.height * 4)
  for (let i = 0; i < out.length; i += 4) {
    const value = mask.data[i + 3] === 0 ? 255 : 0
    out[i] = value
    out[i + 1] = value
    out[i + 2] = value
    out[i + 3] = 255
  }
  return encodePng({ width: mask.width, height: mask.height, data: out })
}
