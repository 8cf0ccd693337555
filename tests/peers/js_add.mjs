// The js reference importer (ipfs-unixfs-importer), configured to imitate kubo,
// over a local file or directory walked the way `ipfs add -r` walks it:
// entries sorted, dotfiles left out below the argument unless --hidden,
// symlinks stored, empty directories kept.
//
// Usage: node js_add.mjs CONFIG PATH [--hidden]
//   CONFIG: v0 | v1-raw | profile-v0 | profile-v1 | v1-1mib | trickle | trickle-v1 |
//           trickle-16k (16 KiB chunks: deep trickle) | v0-1k (1 KiB chunks: 3 balanced layers)
// Prints one line per entry the importer yields: "<cid>\t<path>" (the
// argument's base name, then names joined with '/'), the root last.
import { createReadStream, promises as fs } from 'node:fs'
import path from 'node:path'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced, trickle } from 'ipfs-unixfs-importer/layout'

const KiB256 = 262144
const MiB = 1048576

// kubo's behaviour, spelled out option by option (kubo-add.md §1, §3, §4).
function config (name) {
  const kubo = {
    cidVersion: 0,
    rawLeaves: false,
    chunker: fixedSize({ chunkSize: KiB256 }),
    layout: balanced({ maxChildrenPerNode: 174 }),
    reduceSingleLeafToSelf: true,
    leafType: 'file',
    shardSplitThresholdBytes: 262144,
    shardSplitStrategy: 'links-bytes',
    shardFanoutBits: 8,
    fieldOrder: 'links-first'
  }
  const trickleLayout = {
    layout: trickle({ maxChildrenPerNode: 174, layerRepeat: 4 }),
    reduceSingleLeafToSelf: false,
    leafType: 'raw'
  }
  switch (name) {
    case 'v0': return kubo
    case 'v1-raw': return { ...kubo, cidVersion: 1, rawLeaves: true }
    case 'profile-v0': return { profile: 'unixfs-v0-2015' }
    case 'profile-v1': return { profile: 'unixfs-v1-2025' }
    case 'v1-1mib': return { ...kubo, cidVersion: 1, rawLeaves: true, chunker: fixedSize({ chunkSize: MiB }) }
    case 'trickle': return { ...kubo, ...trickleLayout }
    case 'trickle-v1': return { ...kubo, ...trickleLayout, cidVersion: 1, rawLeaves: true }
    case 'trickle-16k': return { ...kubo, ...trickleLayout, chunker: fixedSize({ chunkSize: 16384 }) }
    case 'v0-1k': return { ...kubo, chunker: fixedSize({ chunkSize: 1024 }) }
    default: throw new Error(`unknown config ${name}`)
  }
}

async function * walk (fsPath, shown, top, hidden) {
  const st = await fs.lstat(fsPath)
  if (st.isSymbolicLink()) {
    yield { path: shown, link: await fs.readlink(fsPath) }
  } else if (st.isFile()) {
    yield { path: shown, content: createReadStream(fsPath, { highWaterMark: MiB }) }
  } else if (st.isDirectory()) {
    yield { path: shown }
    const names = (await fs.readdir(fsPath)).filter(n => hidden || !n.startsWith('.'))
    names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    for (const n of names) yield * walk(path.join(fsPath, n), `${shown}/${n}`, false, hidden)
  } else {
    throw new Error(`${fsPath}: special file`)
  }
}

// A blockstore that only counts: the CIDs are all that is compared here.
const sink = {
  async put (cid) { return cid },
  async * putMany (source) { for await (const { cid } of source) yield cid },
  async has () { return false },
  async get () { throw new Error('not stored') }
}

const [name, target, ...rest] = process.argv.slice(2)
if (name === undefined || target === undefined) {
  console.error('usage: node js_add.mjs CONFIG PATH [--hidden]')
  process.exit(2)
}
const hidden = rest.includes('--hidden')
const base = path.basename(path.resolve(target))
for await (const entry of importer(walk(target, base, true, hidden), sink, config(name))) {
  process.stdout.write(`${entry.cid.toString()}\t${entry.path ?? ''}\n`)
}
