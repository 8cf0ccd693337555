// Reads a CAR with the reference @ipld/car, checks every block against its CID,
// unpacks the root with ipfs-unixfs-exporter and compares it with a local file
// or directory tree: same bytes, same names, same symlink targets.
//
// Usage: node car_check.mjs OUT.car PATH [EXPECTED_ROOT] [--hidden]
// Prints "ok <blocks> blocks <entries> entries" or an error (exit 1).
import { createReadStream, promises as fs } from 'node:fs'
import path from 'node:path'
import { CarReader } from '@ipld/car'
import { IdentityBlockstore } from 'blockstore-core/identity'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { exporter } from 'ipfs-unixfs-exporter'
import { sha256 } from 'multiformats/hashes/sha2'
import { equals } from 'multiformats/bytes'

function fail (message) {
  console.error(`car_check: ${message}`)
  process.exit(1)
}

const args = process.argv.slice(2).filter(a => !a.startsWith('--'))
const hidden = process.argv.includes('--hidden')
const [carPath, localPath, expectedRoot] = args
if (carPath === undefined || localPath === undefined) fail('usage: node car_check.mjs OUT.car PATH [ROOT]')

const reader = await CarReader.fromBytes(await fs.readFile(carPath))
const roots = await reader.getRoots()
if (roots.length !== 1) fail(`expected one root, got ${roots.length}`)
const root = roots[0]
if (expectedRoot !== undefined && root.toString() !== expectedRoot) fail(`root ${root} != ${expectedRoot}`)

const blocksOnly = new MemoryBlockstore()
// Identity CIDs (--inline) carry their block: they are not in the CAR.
const store = new IdentityBlockstore(blocksOnly)
let blocks = 0
for await (const { cid, bytes } of reader.blocks()) {
  if (cid.multihash.code !== sha256.code) fail(`${cid}: unexpected hash ${cid.multihash.code}`)
  const digest = await sha256.digest(bytes)
  if (!equals(digest.bytes, cid.multihash.bytes)) fail(`${cid}: block does not hash to its CID`)
  await blocksOnly.put(cid, bytes)
  blocks++
}

async function sameFile (entry, fsPath) {
  const stream = createReadStream(fsPath, { highWaterMark: 1 << 20 })
  const it = stream[Symbol.asyncIterator]()
  let local = new Uint8Array(0)
  let offset = 0
  for await (const chunk of entry.content()) {
    let pos = 0
    while (pos < chunk.length) {
      if (offset === local.length) {
        const next = await it.next()
        if (next.done) fail(`${fsPath}: exported file is longer than the original`)
        local = next.value
        offset = 0
      }
      const n = Math.min(chunk.length - pos, local.length - offset)
      if (!equals(chunk.subarray(pos, pos + n), local.subarray(offset, offset + n))) fail(`${fsPath}: bytes differ`)
      pos += n
      offset += n
    }
  }
  if (offset !== local.length || !(await it.next()).done) fail(`${fsPath}: exported file is shorter than the original`)
}

let entries = 0
async function compare (cid, fsPath) {
  entries++
  const entry = await exporter(cid, store)
  const st = await fs.lstat(fsPath)
  if (st.isSymbolicLink()) {
    if (entry.type !== 'file' && entry.unixfs?.type !== 'symlink') fail(`${fsPath}: not a symlink in the CAR`)
    const target = new TextDecoder().decode(entry.unixfs.data)
    if (target !== await fs.readlink(fsPath)) fail(`${fsPath}: symlink target differs`)
  } else if (st.isDirectory()) {
    if (entry.type !== 'directory') fail(`${fsPath}: not a directory in the CAR (${entry.type})`)
    const want = (await fs.readdir(fsPath)).filter(n => hidden || !n.startsWith('.')).sort()
    const got = []
    for await (const child of entry.entries()) got.push(child)
    const names = got.map(c => c.name).sort()
    if (JSON.stringify(names) !== JSON.stringify(want)) fail(`${fsPath}: entries differ: ${names} vs ${want}`)
    for (const child of got) await compare(child.cid, path.join(fsPath, child.name))
  } else {
    if (entry.type !== 'file' && entry.type !== 'raw' && entry.type !== 'identity') {
      fail(`${fsPath}: not a file in the CAR (${entry.type})`)
    }
    await sameFile(entry, fsPath)
  }
}

await compare(root, localPath)
console.log(`ok ${blocks} blocks ${entries} entries`)
