// mock-ipfs-pinning-service (the Pinning Service API's reference mock) for the
// publish tests, with what the mock lacks: every request logged as one JSON
// line to LOG (method, url, authorization, body); a pin's status moving
// queued -> pinning -> pinned on each GET /pins/{id} (the mock never moves it;
// names starting "stuck-" stay queued); names starting "funds-" answered 409
// and "broken-" 500, as a service would.
//   node pinning_service.cjs TOKEN LOG   -> prints "listening PORT"
const fs = require('fs')
const express = require('express')
const { setup } = require('mock-ipfs-pinning-service')

const [token, log] = process.argv.slice(2)

const main = async () => {
  const inner = await setup({ token, loglevel: 'error' })
  const outer = express()
  outer.use(express.json({ strict: false }))
  outer.use((req, res, next) => {
    fs.appendFileSync(log, JSON.stringify({
      method: req.method, url: req.url, authorization: req.headers.authorization ?? null,
      contentType: req.headers['content-type'] ?? null, body: req.body ?? null
    }) + '\n')
    const name = (req.body && req.body.name) || ''
    if (req.method === 'POST' && name.startsWith('funds-')) {
      return res.status(409).json({ error: { reason: 'INSUFFICIENT_FUNDS', details: 'top up your account' } })
    }
    if (req.method === 'POST' && name.startsWith('broken-')) {
      return res.status(500).json({ error: { reason: 'INTERNAL_SERVER_ERROR', details: 'database on fire' } })
    }
    const m = req.method === 'GET' && req.url.match(/^\/pins\/([^/?]+)/)
    if (m) {
      const state = inner.locals.state
      for (const [cid, status] of state.pins.entries()) {
        if (status.requestid !== m[1] || (status.pin.name || '').startsWith('stuck-')) continue
        const next = { queued: 'pinning', pinning: 'pinned' }[status.status]
        if (next) inner.locals.state = { ...state, pins: new Map([...state.pins, [cid, { ...status, status: next }]]) }
      }
    }
    next()
  })
  outer.use(inner)
  const server = outer.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`))
  for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => server.close(() => process.exit(0)))
}
main()
