import { checkpointsOf } from '../src/engines/comfyui/checkpoints.ts'
import { ComfyUiEngine } from '../src/engines/comfyui/engine.ts'
import { startFakeComfyUi } from '../test/support/fake-comfyui.ts'
import { compareWithGateway, type GatewayOptions, generation } from './gateway.ts'
import type { Backend } from './support.ts'

const MODELS = 'sdxl=sd_xl_base_1.0.safetensors'

/**
 * The gateway's cost in front of ComfyUI: the same generations (the book's 4 images of `size`) made
 * by the comfyui engine calling a local fake ComfyUI (upload, `/prompt`, websocket, `/history`,
 * `/view`) and through `POST /v1/images/generations` of a real Easel process whose comfyui engine
 * calls the same fake. The fake runs one prompt at a time, as ComfyUI does, so under load both
 * sides queue there; the difference is what Easel adds (HTTP, auth, hold, its queue, files, capture).
 */
export async function benchGatewayComfyUi(
  backend: Backend,
  o: GatewayOptions,
  print: (line: string) => void,
): Promise<void> {
  const fake = await startFakeComfyUi()
  const engine = new ComfyUiEngine({ urls: [fake.url], checkpoints: checkpointsOf(MODELS) })
  const signal = new AbortController().signal
  let seed = 0
  try {
    await compareWithGateway(
      {
        name: 'gateway-comfyui',
        backend,
        options: o,
        // Enough jobs in flight to keep ComfyUI's own queue fed, as the direct callers do.
        env: { EASEL_COMFYUI_URLS: fake.url, EASEL_COMFYUI_MODELS: MODELS, EASEL_ENGINE_CONCURRENCY: '8' },
        body: { model: 'sdxl' },
        direct: async () => {
          await engine.run(generation(o.size, 'sdxl', seed++), { signal })
        },
      },
      print,
    )
  } finally {
    await engine.close()
    await fake.close()
  }
}
