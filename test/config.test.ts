import path from 'node:path'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.ts'
import { ENGINES } from '../src/engines/registry.ts'

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).problems
  }
  throw new Error('expected loadConfig to refuse this environment')
}

describe('loadConfig', () => {
  it('defaults to an SQLite file in ./data', () => {
    expect(loadConfig({})).toMatchObject({
      dataDir: path.resolve('data'),
      database: { kind: 'sqlite', path: path.resolve('data', 'easel.db') },
    })
  })

  it('keeps the SQLite file in the configured data directory', () => {
    expect(loadConfig({ EASEL_DATA_DIR: '/var/lib/easel' })).toMatchObject({
      dataDir: '/var/lib/easel',
      database: { kind: 'sqlite', path: '/var/lib/easel/easel.db' },
    })
  })

  it('treats an empty DATABASE_URL as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).database).toEqual(loadConfig({}).database)
  })

  it.each(['postgres://easel@db.internal:5432/easel', 'postgresql://easel@db.internal/easel'])(
    'selects PostgreSQL for DATABASE_URL=%s, with the default pool of 8',
    (url) => {
      expect(loadConfig({ DATABASE_URL: url }).database).toEqual({ kind: 'postgres', url, poolSize: 8 })
    },
  )

  it('takes the PostgreSQL pool size from EASEL_DB_POOL_SIZE', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://h/db', EASEL_DB_POOL_SIZE: '24' })
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://h/db', poolSize: 24 })
  })

  it('reads sqlite:PATH as an SQLite file at that path, resolved to an absolute one', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:/srv/easel/credits.db' }).database).toEqual({
      kind: 'sqlite',
      path: '/srv/easel/credits.db',
    })
    expect(loadConfig({ DATABASE_URL: 'sqlite:var/credits.db' }).database).toEqual({
      kind: 'sqlite',
      path: path.resolve('var/credits.db'),
    })
  })

  it('lists every problem at once in a ConfigError', () => {
    const problems = problemsOf({
      EASEL_DATA_DIR: '',
      DATABASE_URL: 'mysql://db/easel',
      EASEL_DB_POOL_SIZE: '0',
    })
    expect(problems).toHaveLength(3)
    expect(problems.find((p) => p.startsWith('EASEL_DATA_DIR:'))).toBeDefined()
    expect(problems.find((p) => p.startsWith('DATABASE_URL:'))).toBeDefined()
    expect(problems.find((p) => p.startsWith('EASEL_DB_POOL_SIZE:'))).toBeDefined()
  })

  it('names every problem in the error message', () => {
    let message = ''
    try {
      loadConfig({ DATABASE_URL: 'mysql://db/easel', EASEL_DB_POOL_SIZE: '65' })
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).name).toBe('ConfigError')
      message = (error as Error).message
    }
    expect(message).toContain('DATABASE_URL')
    expect(message).toContain('EASEL_DB_POOL_SIZE')
  })

  it.each([
    ['0', 'must be at least 1'],
    ['65', 'must be at most 64'],
    ['2.5', 'must be a whole number'],
    ['many', 'EASEL_DB_POOL_SIZE'],
  ])('refuses EASEL_DB_POOL_SIZE=%s', (size, expected) => {
    const problems = problemsOf({ EASEL_DB_POOL_SIZE: size })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain(expected)
  })

  it('accepts the pool size bounds 1 and 64', () => {
    const at = (size: string) => loadConfig({ DATABASE_URL: 'postgres://h/db', EASEL_DB_POOL_SIZE: size })
    expect(at('1').database).toMatchObject({ poolSize: 1 })
    expect(at('64').database).toMatchObject({ poolSize: 64 })
  })

  it('ignores variables it does not know', () => {
    expect(loadConfig({ HOME: '/root', PATH: '/usr/bin' })).toEqual(loadConfig({}))
  })

  it('returns a frozen object, all the way down', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://h/db' })
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.database)).toBe(true)
    expect(() => {
      ;(config as { dataDir: string }).dataDir = '/tmp'
    }).toThrow(TypeError)
    expect(() => {
      ;(config.database as { kind: string }).kind = 'sqlite'
    }).toThrow(TypeError)
  })
})

describe('loadConfig: the service', () => {
  it('serves on localhost:8080 with sign-up open and the sketch engine by default', () => {
    const c = loadConfig({})
    expect(c.server).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      signup: 'open',
      admin: null,
      publicUrl: null,
    })
    expect(c.engines).toMatchObject({
      default: 'sketch',
      settings: { sketch: {}, openai: null, sdwebui: null },
      timeoutMs: 120_000,
    })
    expect(c.server.blocklist.length).toBeGreaterThan(0)
  })

  it('reads PORT, HOST, the owner, upstream engines and durations', () => {
    const c = loadConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      EASEL_ADMIN_EMAIL: 'a@b.co',
      EASEL_ADMIN_PASSWORD: 'secret-pass',
      EASEL_OPENAI_API_KEY: 'sk-x',
      EASEL_OPENAI_BASE_URL: 'http://127.0.0.1:1/v1',
      EASEL_SDWEBUI_URL: 'http://127.0.0.1:7860',
      EASEL_SDWEBUI_AUTH: 'me:pa:ss',
      EASEL_DEFAULT_ENGINE: 'sdwebui',
      EASEL_ENGINE_TIMEOUT: '30s',
      EASEL_CONTENT_BLOCKLIST: 'alpha, beta phrase ,',
      EASEL_PUBLIC_URL: 'https://easel.example/',
    })
    expect(c.server).toMatchObject({ host: '0.0.0.0', port: 9000, publicUrl: 'https://easel.example' })
    expect(c.server.admin).toEqual({ email: 'a@b.co', password: 'secret-pass' })
    expect(c.server.blocklist).toEqual(['alpha', 'beta phrase'])
    expect(c.engines.settings.openai).toEqual({
      baseURL: 'http://127.0.0.1:1/v1',
      apiKey: 'sk-x',
      models: ['gpt-image-1'],
    })
    expect(c.engines.settings.sdwebui).toMatchObject({ auth: { username: 'me', password: 'pa:ss' } })
    expect(c.engines).toMatchObject({ default: 'sdwebui', timeoutMs: 30_000 })
  })

  it('lists every service problem at once', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      EASEL_SIGNUP: 'maybe',
      EASEL_ADMIN_EMAIL: 'a@b.co',
      EASEL_ENGINE_TIMEOUT: 'soon',
      EASEL_PUBLIC_URL: 'ftp://x',
    })
    expect(problems.join('\n')).toMatch(/PORT/)
    expect(problems.join('\n')).toMatch(/EASEL_SIGNUP: must be open, invite or closed/)
    expect(problems.join('\n')).toMatch(/EASEL_ENGINE_TIMEOUT: must be a duration/)
    expect(problems.join('\n')).toMatch(/EASEL_PUBLIC_URL/)
  })

  it('refuses an owner email without a password, and a default engine that is not configured', () => {
    expect(problemsOf({ EASEL_ADMIN_EMAIL: 'a@b.co', EASEL_DEFAULT_ENGINE: 'openai' })).toEqual([
      'EASEL_ADMIN_EMAIL and EASEL_ADMIN_PASSWORD: give both, or neither',
      'EASEL_DEFAULT_ENGINE: "openai" is not a configured engine (sketch)',
    ])
  })
})

describe('loadConfig: engines, each read by its own schema (engines/registry.ts)', () => {
  it('has settings for every registered engine, null for those left off', () => {
    const c = loadConfig({})
    expect(Object.keys(c.engines.settings)).toEqual(ENGINES.map((engine) => engine.name))
    expect(Object.isFrozen(c.engines.settings)).toBe(true)
  })

  it('reads the model lists and the WebUI without auth, with the same defaults as ever', () => {
    const c = loadConfig({
      EASEL_OPENAI_API_KEY: 'sk-x',
      EASEL_OPENAI_MODELS: ' gpt-image-1-mini, dall-e-2 ,',
      EASEL_SDWEBUI_URL: 'http://127.0.0.1:7860',
    })
    expect(c.engines.settings).toMatchObject({
      sketch: {},
      openai: {
        baseURL: 'https://api.openai.com/v1',
        apiKey: 'sk-x',
        models: ['gpt-image-1-mini', 'dall-e-2'],
      },
      sdwebui: { urls: ['http://127.0.0.1:7860'], models: ['stable-diffusion'], auth: null },
    })
    expect(
      loadConfig({ EASEL_SDWEBUI_URL: 'http://h:7860', EASEL_DEFAULT_ENGINE: 'sdwebui' }).engines.default,
    ).toBe('sdwebui')
  })

  it("lists every engine's problems with the service's, in one ConfigError", () => {
    const problems = problemsOf({
      PORT: 'eighty',
      EASEL_OPENAI_BASE_URL: 'not a url',
      EASEL_SDWEBUI_URL: 'nope',
      EASEL_SDWEBUI_AUTH: 'user-without-password',
      EASEL_DEFAULT_ENGINE: 'comfyui',
    })
    expect(problems).toHaveLength(4)
    expect(problems[0]).toMatch(/^PORT: /)
    expect(problems.slice(1)).toEqual([
      'EASEL_OPENAI_BASE_URL: must be a URL',
      'EASEL_SDWEBUI_URL: must be a URL',
      'EASEL_SDWEBUI_AUTH: must be user:password',
    ])
  })

  it('names the configured engines when the default is none of them', () => {
    expect(
      problemsOf({
        EASEL_OPENAI_API_KEY: 'sk-x',
        EASEL_SDWEBUI_URL: 'http://h:7860',
        EASEL_DEFAULT_ENGINE: 'comfyui',
      }),
    ).toEqual(['EASEL_DEFAULT_ENGINE: "comfyui" is not a configured engine (sketch, openai, sdwebui)'])
  })
})

describe('loadConfig: hardening', () => {
  it('keeps the offline test checkout off unless turned on, and never on in production', () => {
    expect(loadConfig({}).server).toMatchObject({ testCheckout: false, production: false })
    expect(loadConfig({ EASEL_TEST_CHECKOUT: 'on' }).server.testCheckout).toBe(true)
    expect(problemsOf({ EASEL_TEST_CHECKOUT: 'yes' })).toEqual(['EASEL_TEST_CHECKOUT: must be on or off'])
    expect(problemsOf({ EASEL_TEST_CHECKOUT: 'on', NODE_ENV: 'production' })).toEqual([
      'EASEL_TEST_CHECKOUT: the test checkout hands out credits for test card numbers and cannot be on when NODE_ENV=production',
    ])
    expect(loadConfig({ NODE_ENV: 'production' }).server).toMatchObject({
      testCheckout: false,
      production: true,
    })
  })

  it('caps jobs per account and upload pixels, with defaults', () => {
    const c = loadConfig({})
    expect(c.engines.maxJobsPerAccount).toBe(32)
    expect(c.server.maxUploadPixels).toBe(4096 * 4096)
    const d = loadConfig({ EASEL_MAX_JOBS_PER_ACCOUNT: '4', EASEL_MAX_UPLOAD_PIXELS: '1048576' })
    expect(d.engines.maxJobsPerAccount).toBe(4)
    expect(d.server.maxUploadPixels).toBe(1024 * 1024)
    expect(problemsOf({ EASEL_MAX_JOBS_PER_ACCOUNT: '0' }).join()).toMatch(/EASEL_MAX_JOBS_PER_ACCOUNT/)
  })
})

describe('loadConfig: mail (EASEL_SMTP_URL, EASEL_MAIL_FROM)', () => {
  const ON = {
    EASEL_SMTP_URL: 'smtp://mailer:p%40ss-w0rd@mail.example.com:587',
    EASEL_MAIL_FROM: 'Easel <easel@example.com>',
    EASEL_PUBLIC_URL: 'https://easel.example.com',
  }

  it('is off without EASEL_SMTP_URL (mail is written to the log), even with a From', () => {
    expect(loadConfig({}).mail).toBeNull()
    expect(loadConfig({ EASEL_SMTP_URL: '' }).mail).toBeNull()
    expect(loadConfig({ EASEL_MAIL_FROM: 'easel@example.com' }).mail).toBeNull()
  })

  it('reads the SMTP URL and the From address, frozen', () => {
    const c = loadConfig(ON)
    expect(c.mail).toEqual({ smtpUrl: ON.EASEL_SMTP_URL, from: 'Easel <easel@example.com>' })
    expect(Object.isFrozen(c.mail)).toBe(true)
    expect(loadConfig({ ...ON, EASEL_SMTP_URL: 'smtps://mail.example.com' }).mail?.smtpUrl).toBe(
      'smtps://mail.example.com',
    )
  })

  it.each([
    'easel@example.com',
    'Easel <easel@example.com>',
    '"Easel Studio" <easel@example.com>',
    '<easel@localhost>',
    '  Easel   <easel@mail.example.co.uk>  ',
  ])('takes EASEL_MAIL_FROM=%j', (from) => {
    expect(loadConfig({ ...ON, EASEL_MAIL_FROM: from }).mail?.from).toBe(from.trim())
  })

  it.each([
    'easel',
    'Easel',
    'Easel <not an address>',
    'easel@',
    '@example.com',
    'Easel <easel@example.com',
    'E<a>sel <easel@example.com>',
    'easel@example.com\r\nBcc: everyone@example.com',
    'easel@exa mple.com',
  ])('refuses EASEL_MAIL_FROM=%j', (from) => {
    expect(problemsOf({ ...ON, EASEL_MAIL_FROM: from })).toEqual([
      'EASEL_MAIL_FROM: must be an address (easel@example.com) or a name and an address (Easel <easel@example.com>)',
    ])
  })

  it.each([
    'http://mail.example.com',
    'mail.example.com:587',
    'smtp://',
    'smtp://:p%40ss-w0rd@',
    'smtp://mail.example.com/some/path',
    'smtp://mailer:p%zzss-w0rd@mail.example.com',
  ])('refuses EASEL_SMTP_URL=%j, without repeating it', (url) => {
    const problems = problemsOf({ ...ON, EASEL_SMTP_URL: url })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^EASEL_SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/)
    expect(problems[0]).not.toContain('ss-w0rd')
  })

  it('requires EASEL_MAIL_FROM and EASEL_PUBLIC_URL with SMTP, naming both at once', () => {
    const problems = problemsOf({ EASEL_SMTP_URL: ON.EASEL_SMTP_URL })
    expect(problems).toHaveLength(2)
    expect(problems[0]).toMatch(/^EASEL_MAIL_FROM: .* is required when EASEL_SMTP_URL is set/)
    expect(problems[1]).toMatch(/^EASEL_PUBLIC_URL: .* is required when EASEL_SMTP_URL is set/)
    expect(problemsOf({ ...ON, EASEL_MAIL_FROM: '' })).toEqual([expect.stringMatching(/^EASEL_MAIL_FROM: /)])
    expect(problemsOf({ ...ON, EASEL_PUBLIC_URL: undefined })).toEqual([
      expect.stringMatching(/^EASEL_PUBLIC_URL: /),
    ])
  })

  it('never prints the SMTP credentials: its JSON and inspected forms show the server alone', () => {
    const c = loadConfig(ON)
    for (const printed of [
      JSON.stringify(c),
      JSON.stringify(c.mail),
      inspect(c, { depth: null }),
      `${inspect(c.mail)}`,
    ]) {
      expect(printed).toContain('smtp://mail.example.com:587')
      expect(printed).not.toContain('mailer')
      expect(printed).not.toContain('w0rd')
    }
    expect(JSON.parse(JSON.stringify(c)).mail).toEqual({
      smtpUrl: 'smtp://mail.example.com:587',
      from: 'Easel <easel@example.com>',
    })
  })
})

describe('loadConfig: Stripe (EASEL_STRIPE_*)', () => {
  const STRIPE = { EASEL_STRIPE_SECRET_KEY: 'sk_test_abc', EASEL_STRIPE_WEBHOOK_SECRET: 'whsec_abc' }

  it('is off without a secret key', () => {
    expect(loadConfig({}).stripe).toBeNull()
  })

  it("reads the key, the webhook secret and the API host, and defaults to Stripe's own host", () => {
    expect(loadConfig(STRIPE).stripe).toEqual({
      secretKey: 'sk_test_abc',
      webhookSecret: 'whsec_abc',
      apiUrl: null,
      automaticTax: false,
    })
    expect(loadConfig({ ...STRIPE, EASEL_STRIPE_AUTOMATIC_TAX: 'on' }).stripe?.automaticTax).toBe(true)
    expect(problemsOf({ ...STRIPE, EASEL_STRIPE_AUTOMATIC_TAX: 'yes' })).toEqual([
      expect.stringMatching(/^EASEL_STRIPE_AUTOMATIC_TAX: /),
    ])
    expect(loadConfig({ ...STRIPE, EASEL_STRIPE_API_URL: 'http://127.0.0.1:12111/' }).stripe?.apiUrl).toBe(
      'http://127.0.0.1:12111',
    )
  })

  it('requires the webhook secret with the key, naming both', () => {
    const problems = problemsOf({ EASEL_STRIPE_SECRET_KEY: 'sk_test_abc' })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^EASEL_STRIPE_SECRET_KEY and EASEL_STRIPE_WEBHOOK_SECRET: Stripe needs both/)
    expect(problemsOf({ EASEL_STRIPE_WEBHOOK_SECRET: 'whsec_abc' })).toEqual([
      'EASEL_STRIPE_WEBHOOK_SECRET: set without EASEL_STRIPE_SECRET_KEY',
    ])
  })

  it('refuses a live key with an http:// public URL, and takes it with https://', () => {
    const live = { ...STRIPE, EASEL_STRIPE_SECRET_KEY: 'sk_live_abc' }
    expect(problemsOf({ ...live, EASEL_PUBLIC_URL: 'http://easel.example.com' })).toEqual([
      expect.stringMatching(
        /^EASEL_PUBLIC_URL: a live Stripe key \(sk_live_…\) needs an https:\/\/ public URL/,
      ),
    ])
    expect(loadConfig({ ...live, EASEL_PUBLIC_URL: 'https://easel.example.com' }).stripe?.secretKey).toBe(
      'sk_live_abc',
    )
    // A test key may run on plain http (a LAN, a laptop).
    expect(loadConfig({ ...STRIPE, EASEL_PUBLIC_URL: 'http://easel.lan' }).stripe).not.toBeNull()
  })

  it('refuses an API URL that is not an http(s) base URL', () => {
    expect(problemsOf({ ...STRIPE, EASEL_STRIPE_API_URL: 'ftp://stripe.local' })).toEqual([
      expect.stringMatching(/^EASEL_STRIPE_API_URL: must be an http:\/\/ or https:\/\/ base URL/),
    ])
  })

  it('turns the test checkout off when Stripe is on', () => {
    expect(loadConfig({ EASEL_TEST_CHECKOUT: 'on' }).server.testCheckout).toBe(true)
    expect(loadConfig({ ...STRIPE, EASEL_TEST_CHECKOUT: 'on' }).server.testCheckout).toBe(false)
  })

  it('reads the seller on receipts (EASEL_SELLER_*), its address in lines', () => {
    expect(loadConfig({}).billing.seller).toEqual({ name: null, address: [], taxId: null })
    const seller = loadConfig({
      EASEL_SELLER_NAME: ' Easel Studio Ltd ',
      EASEL_SELLER_ADDRESS: '1 Canvas Row; London N1 1AA\\nUnited Kingdom',
      EASEL_SELLER_TAX_ID: 'GB123456789',
    }).billing.seller
    expect(seller).toEqual({
      name: 'Easel Studio Ltd',
      address: ['1 Canvas Row', 'London N1 1AA', 'United Kingdom'],
      taxId: 'GB123456789',
    })
    expect(problemsOf({ EASEL_SELLER_NAME: 'n'.repeat(201) })).toEqual([
      expect.stringMatching(/^EASEL_SELLER_NAME: /),
    ])
  })

  it('limits auto top-ups to 3 a day unless EASEL_AUTO_TOPUP_MAX_PER_DAY says otherwise', () => {
    expect(loadConfig({}).billing.autoTopUpMaxPerDay).toBe(3)
    expect(loadConfig({ EASEL_AUTO_TOPUP_MAX_PER_DAY: '5' }).billing.autoTopUpMaxPerDay).toBe(5)
    expect(problemsOf({ EASEL_AUTO_TOPUP_MAX_PER_DAY: '0' })).toEqual([
      expect.stringMatching(/^EASEL_AUTO_TOPUP_MAX_PER_DAY: /),
    ])
  })

  it('never prints the secrets: its JSON and inspected forms redact them', () => {
    const stripe = loadConfig(STRIPE).stripe
    for (const printed of [JSON.stringify(stripe), inspect(stripe)]) {
      expect(printed).not.toContain('sk_test_abc')
      expect(printed).not.toContain('whsec_abc')
    }
  })
})
