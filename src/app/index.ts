// The one composition root and lifecycle, used by the server, the worker, the CLI and tests.

export {
  GRACE_MS,
  Lifecycle,
  type LifecycleOptions,
  MAIL_EVERY_MS,
  NOTICES_EVERY_MS,
  RECOVER_EVERY_MS,
  type StartReport,
  type Surface,
  SWEEP_EVERY_MS,
  type SweepCounts,
  type SweepOutcome,
} from './lifecycle.ts'
export { type AppLog, defaultLog } from './log.ts'
export { type EaselApp, type OpenAppOptions, openApp } from './open-app.ts'
export { intervalScheduler, type Scheduler } from './scheduler.ts'
export { type Core, createCore, createServices, type Services, type ServicesOptions } from './services.ts'
