// Runs an in-memory PLC directory and a Bluesky PDS, both on 127.0.0.1 only, for the test suite.
//
// Usage: node start.mjs <folder holding node_modules>
// The PDS reads its settings from PDS_* variables (see tests/servers/bluesky.py); PDS_DID_PLC_URL is
// filled in here because the PLC directory takes a free port of its own.
// Prints one JSON line {"ready": true, "pds": ..., "plc": ...} when both answer; stops on SIGTERM/SIGINT.
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const installDir = process.argv[2] && resolve(process.argv[2])
if (!installDir) {
  console.error('usage: node start.mjs <folder holding node_modules>')
  process.exit(2)
}
// The packages live in the git-ignored install folder, not beside this file, so resolve them from there.
const require = createRequire(join(installDir, 'package.json'))
const { PlcServer, Database } = require('@did-plc/server')
const pdsModule = await import(pathToFileURL(require.resolve('@atproto/pds')).href)
const { PDS, envToCfg, envToSecrets, readEnv } = pdsModule

// Both servers call app.listen(port), which binds every interface; tests must stay on loopback.
function bindLoopback(app) {
  const listen = app.listen.bind(app)
  app.listen = (port, ...rest) => listen(port, '127.0.0.1', ...rest)
}

const plc = PlcServer.create({ db: Database.mock(), port: Number(process.env.PLC_PORT ?? 0) })
bindLoopback(plc.app)
const plcServer = await plc.start()
const plcUrl = `http://127.0.0.1:${plcServer.address().port}`
process.env.PDS_DID_PLC_URL = plcUrl

const env = readEnv()
const pds = await PDS.create(envToCfg(env), envToSecrets(env))
bindLoopback(pds.app)
const pdsServer = await pds.start()
const pdsUrl = `http://127.0.0.1:${pdsServer.address().port}`

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  try {
    await pds.destroy()
    await plc.destroy()
  } finally {
    process.exit(0)
  }
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

console.log(JSON.stringify({ ready: true, pds: pdsUrl, plc: plcUrl }))
