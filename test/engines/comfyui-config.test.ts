import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.ts'
import type { ImageEngine } from '../../src/engines/engine.ts'
import { createEngines } from '../../src/engines/registry.ts'
import { type FakeComfyUi, startFakeComfyUi } from '../support/fake-comfyui.ts'

/** EASEL_COMFYUI_* read by loadConfig, and an operator's workflow folder. */

let dir: string
let upstream: FakeComfyUi
const made: ImageEngine[] = []
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-comfy-workflows-'))
  upstream = await startFakeComfyUi()
})
afterEach(async () => {
  await Promise.all(made.splice(0).map((e) => e.close?.()))
  await upstream.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return [...(error as ConfigError).problems]
  }
  return expect.unreachable('the configuration should have been refused')
}

function comfy(env: Record<string, string>): ImageEngine {
  const engine = createEngines(loadConfig(env).engines).find((e) => e.name === 'comfyui')
  if (!engine) throw new Error('comfyui is not on')
  made.push(engine)
  return engine
}

const write = (file: string, value: unknown) =>
  fs.writeFileSync(path.join(dir, file), typeof value === 'string' ? value : JSON.stringify(value, null, 2))

/** An operator's txt2img export: its own node ids, its own checkpoint, sampler and steps. */
const OWN_GENERATE = {
  '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'v1-5-pruned-emaonly.safetensors' } },
  '2': { class_type: 'CLIPTextEncode', inputs: { text: 'placeholder', clip: ['1', 1] } },
  '3': { class_type: 'CLIPTextEncode', inputs: { text: 'watermark, text', clip: ['1', 1] } },
  '20': { class_type: 'EmptyLatentImage', inputs: { width: 768, height: 768, batch_size: 1 } },
  '30': {
    class_type: 'KSampler',
    inputs: {
      seed: 0,
      steps: 8,
      cfg: 2,
      sampler_name: 'dpmpp_2m',
      scheduler: 'karras',
      denoise: 1,
      model: ['1', 0],
      positive: ['2', 0],
      negative: ['3', 0],
      latent_image: ['20', 0],
    },
    _meta: { title: 'KSampler' },
  },
  '40': { class_type: 'VAEDecode', inputs: { samples: ['30', 0], vae: ['1', 2] } },
  '51': { class_type: 'PreviewImage', inputs: { images: ['40', 0] } },
  '50': { class_type: 'SaveImage', inputs: { filename_prefix: 'mine', images: ['40', 0] } },
}
const OWN_MAPPING = {
  prompt: { node: '2', input: 'text' },
  seed: [{ node: '30', input: 'seed' }],
  batch: { node: '20', input: 'batch_size' },
  width: { node: '20', input: 'width' },
  height: { node: '20', input: 'height' },
}
const request = {
  operation: 'generate',
  prompt: 'a red barn',
  n: 2,
  size: '512x512',
  width: 512,
  height: 512,
  quality: 'hd',
  seed: 9,
  model: 'sdxl',
} as const

describe('EASEL_COMFYUI_* settings', () => {
  it('is off without URLs, and on with them: models by name=file or file name', () => {
    expect(createEngines(loadConfig({}).engines).map((e) => e.name)).toEqual(['sketch'])
    const engine = comfy({
      EASEL_COMFYUI_URLS: `${upstream.url}, http://gpu2:8188`,
      EASEL_COMFYUI_MODELS: 'sdxl=sd_xl_base_1.0.safetensors,dreamshaper_8.safetensors',
    })
    expect(engine.models).toEqual(['sdxl', 'dreamshaper_8'])
    expect(engine.backends?.().map((b) => b.url)).toEqual([upstream.url, 'http://gpu2:8188'])
  })

  it('refuses bad URLs without repeating them, a missing model list, and clashing model names', () => {
    expect(
      problems({ EASEL_COMFYUI_URLS: 'ftp://user:secret@host, not a url', EASEL_COMFYUI_MODELS: 'a.ckpt' }),
    ).toEqual([
      'EASEL_COMFYUI_URLS: entry 1 is not an http:// or https:// URL',
      'EASEL_COMFYUI_URLS: entry 2 is not a URL',
    ])
    expect(problems({ EASEL_COMFYUI_URLS: upstream.url })).toEqual([
      expect.stringMatching(/^EASEL_COMFYUI_MODELS: name at least one checkpoint file ComfyUI has/),
    ])
    expect(
      problems({ EASEL_COMFYUI_URLS: upstream.url, EASEL_COMFYUI_MODELS: 'a/x.safetensors, b/x.ckpt' }),
    ).toEqual(['EASEL_COMFYUI_MODELS: "x" names two checkpoints: give one of them its own name (name=file)'])
    expect(
      problems({ EASEL_COMFYUI_URLS: upstream.url, EASEL_COMFYUI_MODELS: 'a', EASEL_COMFYUI_POLL_MS: '1' }),
    ).toEqual(['EASEL_COMFYUI_POLL_MS: must be at least 10'])
  })
})

describe('EASEL_COMFYUI_WORKFLOWS', () => {
  it("runs the operator's workflow with Easel's values at the mapped inputs; the rest stays the workflow's own", async () => {
    write('generate.json', OWN_GENERATE)
    write('mapping.json', { generate: OWN_MAPPING })
    const engine = comfy({
      EASEL_COMFYUI_URLS: upstream.url,
      EASEL_COMFYUI_MODELS: 'sdxl=sd_xl_base_1.0.safetensors',
      EASEL_COMFYUI_WORKFLOWS: dir,
    })
    const result = await engine.run(request, { signal: new AbortController().signal })

    const sent = upstream.prompts[0]!.prompt
    expect(sent['2']!.inputs.text).toBe('a red barn')
    expect(sent['3']!.inputs.text).toBe('watermark, text')
    expect(sent['20']!.inputs).toEqual({ width: 512, height: 512, batch_size: 2 })
    // Not mapped: the workflow's own checkpoint and steps, whatever the model and quality asked.
    expect(sent['1']!.inputs.ckpt_name).toBe('v1-5-pruned-emaonly.safetensors')
    expect(sent['30']!.inputs).toMatchObject({ seed: 9, steps: 8, sampler_name: 'dpmpp_2m' })
    // Saved images come before previews.
    expect(result.images).toHaveLength(2)

    // Operations the folder leaves out run Easel's default workflow.
    const image = upstream.uploads.size
    await engine.run(
      { ...request, operation: 'variation', image: result.images[0]!.png, prompt: null, n: 1 },
      { signal: new AbortController().signal },
    )
    expect(upstream.uploads.size).toBe(image + 1)
    expect(upstream.prompts[1]!.prompt['4']!.inputs.ckpt_name).toBe('sd_xl_base_1.0.safetensors')
  })

  it('needs no model list when the folder replaces every workflow and none maps a model', () => {
    for (const op of ['generate', 'edit', 'variation']) write(`${op}.json`, OWN_GENERATE)
    const asVariation = { ...OWN_MAPPING, image: undefined }
    write('mapping.json', { generate: OWN_MAPPING, edit: asVariation, variation: asVariation })
    // edit and variation need their images mapped: the folder is refused, naming each gap.
    expect(problems({ EASEL_COMFYUI_URLS: upstream.url, EASEL_COMFYUI_WORKFLOWS: dir })).toEqual([
      'EASEL_COMFYUI_WORKFLOWS: edit.json with mapping.json: the mapping names no node input for image',
      'EASEL_COMFYUI_WORKFLOWS: edit.json with mapping.json: the mapping names no node input for mask',
      'EASEL_COMFYUI_WORKFLOWS: variation.json with mapping.json: the mapping names no node input for image',
    ])
    const withImage = {
      ...OWN_GENERATE,
      '60': { class_type: 'LoadImage', inputs: { image: 'example.png' } },
      '61': { class_type: 'LoadImageMask', inputs: { image: 'example.png', channel: 'red' } },
    }
    for (const op of ['edit', 'variation']) write(`${op}.json`, withImage)
    write('mapping.json', {
      generate: OWN_MAPPING,
      edit: { ...OWN_MAPPING, image: { node: '60', input: 'image' }, mask: { node: '61', input: 'image' } },
      variation: { ...OWN_MAPPING, image: { node: '60', input: 'image' } },
    })
    expect(comfy({ EASEL_COMFYUI_URLS: upstream.url, EASEL_COMFYUI_WORKFLOWS: dir }).models).toEqual([
      'comfyui',
    ])
  })

  it('refuses a folder that is not there, or holds no workflow', () => {
    const env = { EASEL_COMFYUI_URLS: upstream.url, EASEL_COMFYUI_MODELS: 'a.safetensors' }
    expect(problems({ ...env, EASEL_COMFYUI_WORKFLOWS: path.join(dir, 'nope') })).toEqual([
      `EASEL_COMFYUI_WORKFLOWS: ${path.join(dir, 'nope')} is not a folder`,
    ])
    expect(problems({ ...env, EASEL_COMFYUI_WORKFLOWS: dir })).toEqual([
      `EASEL_COMFYUI_WORKFLOWS: ${dir} holds none of generate.json, edit.json, variation.json`,
    ])
  })

  it('names the file and what is wrong in it', () => {
    const env = {
      EASEL_COMFYUI_URLS: upstream.url,
      EASEL_COMFYUI_MODELS: 'a.safetensors',
      EASEL_COMFYUI_WORKFLOWS: dir,
    }
    write('generate.json', OWN_GENERATE)
    expect(problems(env)).toEqual(['EASEL_COMFYUI_WORKFLOWS: mapping.json: cannot be read (it is not there)'])

    write('mapping.json', '{ "generate": ')
    expect(problems(env)[0]).toMatch(/^EASEL_COMFYUI_WORKFLOWS: mapping\.json: is not JSON \(/)

    write('mapping.json', { generate: { ...OWN_MAPPING, colour: { node: '2', input: 'text' } }, edit: {} })
    expect(problems(env)).toEqual([
      'EASEL_COMFYUI_WORKFLOWS: mapping.json: maps edit, but edit.json is not in the folder',
      expect.stringMatching(
        /^EASEL_COMFYUI_WORKFLOWS: mapping\.json: generate: "colour" is not a value Easel writes \(prompt, /,
      ),
    ])

    write('mapping.json', {
      generate: {
        ...OWN_MAPPING,
        prompt: { node: '2', input: 'clip' },
        seed: { node: '99', input: 'seed' },
        steps: { node: '30', input: 'sampler_name' },
        batch: { node: '20', input: 'size' },
        mask: { node: '2', input: 'text' },
      },
    })
    expect(problems(env)).toEqual([
      'EASEL_COMFYUI_WORKFLOWS: generate.json with mapping.json: prompt: node 2 (CLIPTextEncode) input clip is linked to node 1; map the input that holds the value',
      'EASEL_COMFYUI_WORKFLOWS: generate.json with mapping.json: seed: there is no node 99',
      'EASEL_COMFYUI_WORKFLOWS: generate.json with mapping.json: batch: node 20 (EmptyLatentImage) has no input size',
      'EASEL_COMFYUI_WORKFLOWS: generate.json with mapping.json: steps: node 30 (KSampler) input sampler_name is not a number',
      'EASEL_COMFYUI_WORKFLOWS: generate.json with mapping.json: mask is not a value of generate (it takes prompt, seed, batch, negativePrompt, width, height, model, steps)',
    ])

    write('mapping.json', { generate: OWN_MAPPING })
    write('generate.json', { last_node_id: 9, last_link_id: 9, nodes: [], links: [] })
    expect(problems(env)).toEqual([
      "EASEL_COMFYUI_WORKFLOWS: generate.json with mapping.json: is ComfyUI's UI format: export it with Save (API Format) instead",
    ])
    write('generate.json', {
      ...OWN_GENERATE,
      '40': { class_type: 'VAEDecode', inputs: { samples: ['31', 0], vae: ['1', 2] } },
    })
    expect(problems(env)).toEqual([
      'EASEL_COMFYUI_WORKFLOWS: generate.json with mapping.json: node 40 (VAEDecode) input samples links to node 31, which is not there',
    ])
  })
})
