import { parentPort } from 'node:worker_threads'
import { EngineError, type EngineRequest } from '../engine.ts'
import { drawAll } from './engine.ts'

// Draws one request at a time for RenderPool.
parentPort!.on('message', async ({ id, request }: { id: number; request: EngineRequest }) => {
  try {
    const images = await drawAll(revive(request), null, (progress) =>
      parentPort!.postMessage({ id, progress }),
    )
    // Copied, not transferred: small Buffers may share one pooled ArrayBuffer.
    parentPort!.postMessage({ id, images })
  } catch (error) {
    parentPort!.postMessage({
      id,
      error: { code: error instanceof EngineError ? error.code : null, message: (error as Error).message },
    })
  }
})

/** Buffers arrive as plain Uint8Arrays: make them Buffers again. */
function revive(request: EngineRequest): EngineRequest {
  const buf = (b: Uint8Array | null) => (b ? Buffer.from(b.buffer, b.byteOffset, b.byteLength) : null)
  if (request.operation === 'edit') return { ...request, image: buf(request.image)!, mask: buf(request.mask) }
  if (request.operation === 'variation') return { ...request, image: buf(request.image)! }
  return request
}
