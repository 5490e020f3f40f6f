// A sketch render thread. Easel runs from its TypeScript sources, so the thread registers tsx's
// loader before loading the drawing code (the main thread's loader does not reach workers).
import { register } from 'tsx/esm/api'

register()
await import('./render-thread.ts')
