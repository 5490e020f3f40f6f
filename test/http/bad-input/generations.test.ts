import { expect } from 'vitest'
import { MULTIPART, multipartBody } from './multipart.ts'
import { bearer, GEN, post, type Refusal, send } from './requests.ts'
import { sweep } from './sweep.ts'

// The bad-input sweep (see sweep.ts) of the OpenAI surface's JSON route: POST /v1/images/generations.

const GENERATIONS: Refusal[] = [
  {
    name: 'no prompt',
    request: post('/v1/images/generations', { n: 1 }),
    status: 400,
    message: /prompt: is required/,
    param: 'prompt',
  },
  {
    name: 'a number as the prompt',
    request: post('/v1/images/generations', { ...GEN, prompt: 42 }),
    status: 400,
    message: /^prompt: /,
    param: 'prompt',
  },
  {
    name: 'an array as the prompt',
    request: post('/v1/images/generations', { ...GEN, prompt: ['a', 'b'] }),
    status: 400,
    message: /^prompt: /,
    param: 'prompt',
  },
  {
    name: 'an empty prompt',
    request: post('/v1/images/generations', { ...GEN, prompt: '' }),
    status: 400,
    message: /prompt: must not be empty/,
    param: 'prompt',
  },
  {
    name: 'a prompt of spaces',
    request: post('/v1/images/generations', { ...GEN, prompt: '     ' }),
    status: 400,
    message: /prompt is required/,
    param: 'prompt',
  },
  {
    name: 'a prompt over the 4000-character limit',
    request: post('/v1/images/generations', { ...GEN, prompt: 'a'.repeat(4001) }),
    status: 400,
    message: /prompt must be at most 4000 characters \(it has 4001\)/,
    param: 'prompt',
  },
  {
    name: 'a 2 MB prompt (over the body limit)',
    request: post('/v1/images/generations', { ...GEN, prompt: 'a'.repeat(2 * 1024 * 1024) }),
    status: 413,
    message: /too large/,
  },
  {
    name: 'a prompt with a NUL character',
    request: post('/v1/images/generations', { ...GEN, prompt: 'a lighthouse\u0000at dusk' }),
    status: 400,
    message: /prompt/,
    param: 'prompt',
  },
  {
    name: 'a blocked prompt',
    request: post('/v1/images/generations', { ...GEN, prompt: 'a scene full of gore' }),
    status: 400,
    message: /content policy.*nothing was charged/,
    code: 'content_policy_violation',
  },
  {
    name: 'n = 0',
    request: post('/v1/images/generations', { ...GEN, n: 0 }),
    status: 400,
    message: /n: must be at least 1/,
    param: 'n',
  },
  {
    name: 'n = 11',
    request: post('/v1/images/generations', { ...GEN, n: 11 }),
    status: 400,
    message: /n: must be at most 10/,
    param: 'n',
  },
  {
    name: 'n = 1.5',
    request: post('/v1/images/generations', { ...GEN, n: 1.5 }),
    status: 400,
    message: /n: must be a whole number/,
    param: 'n',
  },
  {
    name: 'n = "many"',
    request: post('/v1/images/generations', { ...GEN, n: 'many' }),
    status: 400,
    message: /^n: /,
    param: 'n',
  },
  {
    name: 'n = true (a boolean)',
    request: post('/v1/images/generations', { ...GEN, n: true }),
    status: 400,
    message: /^n: /,
    param: 'n',
  },
  {
    name: 'n = [2] (an array)',
    request: post('/v1/images/generations', { ...GEN, n: [2] }),
    status: 400,
    message: /^n: /,
    param: 'n',
  },
  {
    name: 'a size that is not one of the sizes',
    request: post('/v1/images/generations', { ...GEN, size: '1024x512' }),
    status: 400,
    message:
      /size: must be 256x256, 512x512, 1024x1024, 1536x1024, 1024x1536, 1792x1024, 1024x1792 or auto, not "1024x512"/,
    param: 'size',
  },
  {
    name: 'a size that is not a size',
    request: post('/v1/images/generations', { ...GEN, size: 'huge' }),
    status: 400,
    message:
      /size: must be 256x256, 512x512, 1024x1024, 1536x1024, 1024x1536, 1792x1024, 1024x1792 or auto, not "huge"/,
    param: 'size',
  },
  {
    name: 'a number as the size',
    request: post('/v1/images/generations', { ...GEN, size: 1024 }),
    status: 400,
    message: /^size: /,
    param: 'size',
  },
  {
    name: 'a size the engine does not make',
    request: post('/v1/images/generations', { ...GEN, size: '1536x1024' }),
    status: 400,
    message:
      /size is 1536x1024, but the model sketch makes only square images \(256x256, 512x512 or 1024x1024\); nothing was charged/,
    param: 'size',
  },
  {
    name: 'response_format xml',
    request: post('/v1/images/generations', { ...GEN, response_format: 'xml' }),
    status: 400,
    message: /response_format: must be url or b64_json/,
    param: 'response_format',
  },
  {
    name: 'stream: true',
    request: post('/v1/images/generations', { ...GEN, stream: true }),
    status: 400,
    message: /stream: streaming is not supported/,
    param: 'stream',
  },
  {
    name: 'a negative seed',
    request: post('/v1/images/generations', { ...GEN, seed: -1 }),
    status: 400,
    message: /^seed: /,
    param: 'seed',
  },
  {
    name: 'a seed over 2^31 - 1',
    request: post('/v1/images/generations', { ...GEN, seed: 2 ** 31 }),
    status: 400,
    message: /^seed: /,
    param: 'seed',
  },
  {
    name: 'an unknown model',
    request: post('/v1/images/generations', { ...GEN, model: 'dall-e-2' }),
    status: 400,
    message: /model "dall-e-2" is not a model of this installation/,
    param: 'model',
  },
  {
    name: 'a model name of 101 characters',
    request: post('/v1/images/generations', { ...GEN, model: 'm'.repeat(101) }),
    status: 400,
    message: /^model: /,
    param: 'model',
  },
  {
    name: 'output_format jpeg',
    request: post('/v1/images/generations', { ...GEN, output_format: 'jpeg' }),
    status: 400,
    message: /output_format: must be png/,
    param: 'output_format',
  },
  {
    name: 'a JSON array as the body',
    request: post('/v1/images/generations', [GEN]),
    status: 400,
    message: /expected object/,
  },
  {
    name: 'JSON null as the body',
    request: post('/v1/images/generations', null),
    status: 400,
    message: /expected object/,
  },
  {
    name: 'malformed JSON',
    request: send({ method: 'POST', url: '/v1/images/generations', raw: '{"prompt": "a lighthouse",' }),
    status: 400,
    message: /JSON/,
  },
  {
    name: 'an empty body said to be JSON',
    request: send({ method: 'POST', url: '/v1/images/generations', raw: '' }),
    status: 400,
    message: /empty/i,
  },
  {
    name: 'form-urlencoded',
    request: send({
      method: 'POST',
      url: '/v1/images/generations',
      raw: 'prompt=a+lighthouse',
      type: 'application/x-www-form-urlencoded',
    }),
    status: 415,
    message: /content type/i,
  },
  {
    name: 'text/plain',
    request: send({
      method: 'POST',
      url: '/v1/images/generations',
      raw: 'a lighthouse at dusk',
      type: 'text/plain',
    }),
    status: [400, 415],
    message: /expected object|JSON|content type/i,
  },
  {
    name: 'multipart',
    request: send({
      method: 'POST',
      url: '/v1/images/generations',
      raw: multipartBody([{ name: 'prompt', value: 'a lighthouse' }]),
      type: MULTIPART,
    }),
    status: [400, 415],
    message: /expected object|JSON|content type/i,
  },
  {
    name: 'an Idempotency-Key of 300 characters',
    request: post('/v1/images/generations', GEN, { headers: { 'idempotency-key': 'k'.repeat(300) } }),
    status: 400,
    message: /Idempotency-Key must be 1 to 255 characters/,
    param: 'Idempotency-Key',
  },
  {
    name: 'an Idempotency-Key used before for another request',
    request: async (c) => {
      const first = await c.t.server.app.inject({
        method: 'POST',
        url: '/v1/images/generations',
        headers: { ...bearer(c.me.user), 'idempotency-key': 'reused-key' },
        payload: GEN,
      })
      expect(first.statusCode, first.body).toBe(200)
      return post(
        '/v1/images/generations',
        { ...GEN, prompt: 'a different picture' },
        { headers: { 'idempotency-key': 'reused-key' } },
      )(c)
    },
    status: 409,
    message: /Idempotency-Key "reused-key" was already used for a different request/,
  },
  {
    name: 'no credentials (and an empty body): unauthenticated before the body is checked',
    request: post('/v1/images/generations', {}, { as: 'nobody' }),
    status: 401,
    message: /API key/,
    code: 'invalid_api_key',
  },
  {
    name: 'a session cookie without the CSRF token',
    request: post('/v1/images/generations', GEN, { as: 'cookie-without-csrf' }),
    status: 403,
    message: /x-csrf-token/,
    code: 'csrf',
  },
]

sweep((s) => {
  s.accepts([['POST /v1/images/generations', post('/v1/images/generations', GEN), 200]])
  s.refuses('POST /v1/images/generations', GENERATIONS)
})
