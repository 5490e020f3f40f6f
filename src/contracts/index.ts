// The API, written once: the request and response schemas of the native API (/api/*) and the
// OpenAI-compatible one (/v1/*), and the limits they share. The routes validate and document with
// them, the studio and the engines take their limits from them, the web app and the tests read
// responses through their types. Pure zod and constants: this folder imports nothing of Easel's,
// and nothing of Node's, because the browser bundles it too.

export * from './account-data.ts'
export * from './account-security.ts'
export * from './accounts.ts'
export * from './admin.ts'
export * from './audit.ts'
export * from './auto-top-up.ts'
export * from './billing.ts'
export * from './credits.ts'
export * from './engines.ts'
export * from './errors.ts'
export * from './fields.ts'
export * from './images.ts'
export * from './jobs.ts'
export * from './limits.ts'
export * from './mail.ts'
export * from './moderation.ts'
export * from './notices.ts'
export * from './openai.ts'
export * from './plans.ts'
export * from './reports.ts'
export * from './service.ts'
export * from './sign-up.ts'
export * from './two-factor.ts'
