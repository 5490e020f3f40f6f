#!/usr/bin/env node
// The `easel` command. Easel runs from its TypeScript sources through tsx's loader, so there is no
// build step between `npm install` and a working command.
import { register } from 'tsx/esm/api'

register()
const { run } = await import('../src/cli/main.ts')
process.exitCode = await run(process.argv.slice(2))
