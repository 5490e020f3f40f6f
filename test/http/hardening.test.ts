import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { brotliCompressSync, brotliDecompressSync, gzipSync } from 'node:zlib'
import type { FastifyBaseLogger } from 'fastify'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.ts'
import { ErrorBody, ImagesResponse, OpenAiErrorBody } from '../../src/contracts/index.ts'
import { buildApp, REQUEST_TIMEOUT_MS, redactUrl, securityHeaders } from '../../src/http/app.ts'
import { jsonDepthExceeds } from '../../src/http/json-body.ts'
import { startServer } from '../../src/http/server.ts'
import { systemClock } from '../../src/util/clock.ts'
import { BACKENDS, createTestDatabase } from '../support/backends.ts'
import { parseAs, readJson } from '../support/contracts.ts'
import { testEnv, useTestServer } from '../support/server.ts'

/*
 * Issue 9's attack findings on the HTTP layer, one regression test each: what an outsider could do
 * to the server before, and must not be able to do now.
 */

describe('the JSON depth bound', () => {
  it('counts nesting outside strings only, and stops at the limit', () => {
    expect(jsonDepthExceeds('[[[]]]', 3)).toBe(false)
    expect(jsonDepthExceeds('[[[[]]]]', 3)).toBe(true)
    expect(jsonDepthExceeds('{"a":"[[[[[[[[","b":{"c":[1]}}', 3)).toBe(false)
    expect(jsonDepthExceeds('{"a":"\\"[[[[","b":[[[[1]]]]}', 3)).toBe(true)
    expect(jsonDepthExceeds('['.repeat(1_000_000), 32)).toBe(true)
  })
})

describe.each(BACKENDS)('hostile requests to the HTTP layer (%s)', (backend) => {
  const t = useTestServer(backend)

  it('deeply nested JSON is a 400 naming the problem, on every route, signed in or not', async () => {
    const deep = '['.repeat(7000)
    const app = t.current.server.app
    const user = await t.current.user()
    for (const [method, url, headers] of [
      ['POST', '/healthz', {}],
      ['POST', '/api/session', {}],
      ['POST', '/api/jobs', { authorization: `Bearer ${user.apiKey}` }],
      ['POST', '/v1/images/generations', { authorization: `Bearer ${user.apiKey}` }],
    ] as const) {
      const res = await app.inject({
        method,
        url,
        headers: { ...headers, 'content-type': 'application/json' },
        payload: deep,
      })
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(500)
      if (url !== '/healthz') {
        expect(res.statusCode, `${method} ${url}`).toBe(400)
        expect(res.body).toMatch(/nested more than 32 levels/)
      }
    }
    // An ordinary body still works.
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/images/generations',
      headers: { authorization: `Bearer ${user.apiKey}` },
      payload: { prompt: 'a lighthouse', size: '256x256', n: 1 },
    })
    expect(ok.statusCode, ok.body).toBe(200)
  })
})

describe.each(BACKENDS)('the CSRF check comes first (%s)', (backend) => {
  const t = useTestServer(backend)

  it('a cookie-authenticated write without the token is a 403 before its body is validated', async () => {
    const user = await t.current.user()
    const app = t.current.server.app
    const signIn = await app.inject({
      method: 'POST',
      url: '/api/session',
      payload: { email: user.email, password: user.password },
    })
    expect(signIn.statusCode, signIn.body).toBe(200)
    const cookie = String(signIn.headers['set-cookie']).split(';')[0]!
    for (const payload of [
      '{"prompt": 42, "kind": "nonsense"}',
      '{not json',
      '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/jobs',
        headers: { cookie, 'content-type': 'application/json' },
        payload,
      })
      expect(res.statusCode, res.body).toBe(403)
      expect((await readJson(res, ErrorBody)).error.code).toBe('CSRF')
    }
  })
})

describe.each(BACKENDS)('links handed out (%s)', (backend) => {
  const t = useTestServer(backend)

  it('never take their origin from the Host header', async () => {
    const user = await t.current.user()
    const ask = { prompt: 'a lighthouse', size: '256x256', n: 1 }
    const headers = {
      authorization: `Bearer ${user.apiKey}`,
      host: 'evil.example',
      'x-forwarded-host': 'evil.example',
    }
    const injected = await t.current.server.app.inject({
      method: 'POST',
      url: '/v1/images/generations',
      headers,
      payload: ask,
    })
    expect(injected.statusCode, injected.body).toBe(200)
    const res = await fetch(`${t.current.url}/v1/images/generations`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(ask),
    })
    expect(res.status).toBe(200)
    for (const body of [injected.json(), await res.json()].map((b) => parseAs(ImagesResponse, b))) {
      const url = body.data[0]!.url!
      expect(url.startsWith(`${t.current.url}/files/images/`), url).toBe(true)
    }
  })
})

describe('request logs', () => {
  it('redact the signature of signed image links (and one-time tokens)', async () => {
    expect(redactUrl('/files/images/img_1.png?expires=1&signature=abc123')).toBe(
      '/files/images/img_1.png?expires=1&signature=[redacted]',
    )
    expect(redactUrl('/reset-password?token=s3cret&x=1')).toBe('/reset-password?token=[redacted]&x=1')

    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const testDb = await createTestDatabase('sqlite')
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-log-'))
    const log = pino({ level: 'info' }, sink) as unknown as FastifyBaseLogger
    const server = await startServer(loadConfig(testEnv(testDb, dataDir)), { clock: systemClock, log })
    try {
      const created = await server.services.accounts.createUser({
        email: 'logs@example.test',
        password: 'correct horse battery',
      })
      if (!created.ok) throw new Error(created.error.message)
      const key = await server.services.accounts.createApiKey(created.value.id, { name: 'logs' })
      if (!key.ok) throw new Error(key.error.message)
      const gen = await fetch(`${server.url}/v1/images/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.value.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'a lighthouse', size: '256x256', n: 1 }),
      })
      const url = (await readJson(gen, ImagesResponse)).data[0]!.url!
      const signature = new URL(url).searchParams.get('signature')!
      expect((await fetch(url)).status).toBe(200)
      const all = lines.join('')
      expect(all).toMatch(/signature=\[redacted\]/)
      expect(all).not.toContain(signature)
      expect(all).not.toContain(key.value.secret)
    } finally {
      await server.close()
      await testDb.destroy()
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

describe.each(BACKENDS)('security headers and /v1 credit headers (%s)', (backend) => {
  const t = useTestServer(backend)

  it('answers with a CSP and helmet headers, without upgrade-insecure-requests or HSTS on plain http', async () => {
    const res = await t.current.server.app.inject({ method: 'GET', url: '/healthz' })
    const csp = String(res.headers['content-security-policy'])
    expect(csp).toMatch(/default-src 'self'/)
    expect(csp).toMatch(/script-src 'self'/)
    expect(csp).toMatch(/img-src 'self' data: blob:/)
    expect(csp).not.toMatch(/upgrade-insecure-requests/)
    expect(res.headers['strict-transport-security']).toBeUndefined()
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    // The API documentation (Swagger UI sets inline styles) alone allows inline styles.
    const docs = await t.current.server.app.inject({ method: 'GET', url: '/docs/static/index.html' })
    expect(String(docs.headers['content-security-policy'])).toMatch(/style-src 'self' 'unsafe-inline'/)
    expect(csp).not.toMatch(/unsafe-inline/)
  })

  it('sends x-credits-charged and x-credits-remaining on /v1 refusals too', async () => {
    const user = await t.current.user({ credits: 7 })
    const res = await t.current.server.app.inject({
      method: 'POST',
      url: '/v1/images/generations',
      headers: { authorization: `Bearer ${user.apiKey}` },
      payload: { prompt: 'a lighthouse', n: 'four' },
    })
    expect(res.statusCode).toBe(400)
    expect(res.headers['x-credits-charged']).toBe('0')
    expect(res.headers['x-credits-remaining']).toBe('7')
  })
})

describe.each(BACKENDS)('slow clients (%s)', (backend) => {
  const t = useTestServer(backend)

  it('have 60 s to send a whole request, not the 7.5 minutes a job may take', () => {
    const server = t.current.server.app.server
    expect(server.requestTimeout).toBe(REQUEST_TIMEOUT_MS)
    expect(REQUEST_TIMEOUT_MS).toBe(60_000)
    expect(server.headersTimeout).toBeLessThanOrEqual(REQUEST_TIMEOUT_MS)
  })
})

describe('security headers behind https', () => {
  it('upgrade insecure requests and send HSTS only when the public URL is https', () => {
    const plain = securityHeaders('http://10.0.0.2:8080')
    const secure = securityHeaders('https://easel.example')
    const directives = (o: typeof plain) =>
      (o.contentSecurityPolicy as { directives: Record<string, unknown> }).directives
    expect(directives(plain)['upgrade-insecure-requests']).toBeNull()
    expect(directives(secure)['upgrade-insecure-requests']).toEqual([])
    expect(plain.strictTransportSecurity).toBe(false)
    expect(secure.strictTransportSecurity).toMatchObject({ maxAge: 15_552_000 })
  })
})

describe.each(BACKENDS)('the studio’s files (%s)', (backend) => {
  const t = useTestServer(backend)

  it('are sent pre-compressed to browsers that accept it, and never with source maps in production', async () => {
    const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'easel-dist-'))
    fs.mkdirSync(path.join(dist, 'assets'))
    fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>Easel</title>')
    const js = 'console.log("studio");\n'.repeat(200)
    fs.writeFileSync(path.join(dist, 'assets', 'app.js'), js)
    fs.writeFileSync(path.join(dist, 'assets', 'app.js.br'), brotliCompressSync(js))
    fs.writeFileSync(path.join(dist, 'assets', 'app.js.gz'), gzipSync(js))
    fs.writeFileSync(path.join(dist, 'assets', 'app.js.map'), '{"version":3}')
    const services = t.current.server.services
    const production = {
      ...services,
      config: { ...services.config, server: { ...services.config.server, production: true } },
    }
    const app = await buildApp(production, { studio: dist })
    try {
      const br = await app.inject({ url: '/assets/app.js', headers: { 'accept-encoding': 'br, gzip' } })
      expect(br.statusCode).toBe(200)
      expect(br.headers['content-encoding']).toBe('br')
      expect(brotliDecompressSync(br.rawPayload).toString()).toBe(js)
      const plain = await app.inject({ url: '/assets/app.js' })
      expect(plain.headers['content-encoding']).toBeUndefined()
      expect(plain.body).toBe(js)
      const map = await app.inject({ url: '/assets/app.js.map' })
      expect(map.statusCode).toBe(404)
    } finally {
      await app.close()
      fs.rmSync(dist, { recursive: true, force: true })
    }
  })
})

describe.each(BACKENDS)('percent-encoded paths (%s)', (backend) => {
  const t = useTestServer(backend)

  it('answer in the shape of the route they reach (found by the fuzzer: a 500 before)', async () => {
    const user = await t.current.user()
    const res = await t.current.server.app.inject({
      method: 'POST',
      url: '/%761/images/edits',
      headers: { authorization: `Bearer ${user.apiKey}`, 'content-type': 'text/plain' },
      payload: 'hello',
    })
    expect(res.statusCode).toBe(415)
    expect((await readJson(res, OpenAiErrorBody)).error).toMatchObject({ type: 'invalid_request_error' })
    const unknown = await t.current.server.app.inject({ method: 'GET', url: '/%761/nothing-here' })
    expect(unknown.statusCode).toBe(404)
    expect((await readJson(unknown, OpenAiErrorBody)).error.type).toBeTypeOf('string')
  })
})
