// The js reference libraries as the other side of ipfsfs's keys and records
// (tests/tools/keys_js_test.sh): @libp2p/crypto reads and writes keys, `ipns`
// validates records.
//
// Usage:
//   node keys_js.mjs name FILE            libp2p PrivateKey protobuf → prints its name (k51…)
//   node keys_js.mjs name-pem FILE        PEM PKCS#8 → prints its name
//   node keys_js.mjs gen TYPE OUTFILE     Ed25519 | RSA: writes the protobuf, prints the name
//   node keys_js.mjs check-record FILE NAME
//       validates with ipnsValidator against NAME's routing key and prints
//       {"valid":true,"value":…,"sequence":…,"ttl":…,"validity":…,"v1":…} (exit 1 if invalid)
import { promises as fs } from 'node:fs'
import { createPrivateKey } from 'node:crypto'
import { generateKeyPair, generateKeyPairFromSeed, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { multihashToIPNSRoutingKey, unmarshalIPNSRecord } from 'ipns'
import { ipnsValidator } from 'ipns/validator'
import { base36 } from 'multiformats/bases/base36'
import { CID } from 'multiformats/cid'

const [cmd, a, b] = process.argv.slice(2)
const nameOf = key => key.publicKey.toCID().toString(base36)

async function signs (key) {
  // A key that was read wrongly would not verify its own signature.
  const msg = new TextEncoder().encode('ipfsfs')
  if (!(await key.publicKey.verify(msg, await key.sign(msg)))) throw new Error('key does not verify its signature')
}

function protobufOf (type, data) {
  // 08 <type> 12 <varint len> <data>
  const len = []
  let n = data.length
  do { len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0)); n >>= 7 } while (n > 0)
  return Uint8Array.from([0x08, type, 0x12, ...len, ...data])
}

if (cmd === 'name') {
  const key = privateKeyFromProtobuf(await fs.readFile(a))
  await signs(key)
  console.log(nameOf(key))
} else if (cmd === 'name-pem') {
  const k = createPrivateKey(await fs.readFile(a, 'utf8'))
  let key
  if (k.asymmetricKeyType === 'ed25519') {
    const seed = Buffer.from(k.export({ format: 'jwk' }).d, 'base64url')
    key = await generateKeyPairFromSeed('Ed25519', seed)
  } else {
    key = privateKeyFromProtobuf(protobufOf(0, k.export({ type: 'pkcs1', format: 'der' })))
  }
  await signs(key)
  console.log(nameOf(key))
} else if (cmd === 'gen') {
  const key = await generateKeyPair(a, a === 'RSA' ? 2048 : undefined)
  await fs.writeFile(b, privateKeyToProtobuf(key))
  console.log(nameOf(key))
} else if (cmd === 'check-record') {
  const bytes = await fs.readFile(a)
  const name = CID.parse(b, base36)
  try {
    await ipnsValidator(multihashToIPNSRoutingKey(name.multihash), bytes)
  } catch (e) {
    console.log(JSON.stringify({ valid: false, error: String(e.message) }))
    process.exit(1)
  }
  const r = unmarshalIPNSRecord(bytes)
  console.log(JSON.stringify({
    valid: true,
    value: r.value,
    sequence: Number(r.sequence),
    ttl: String(r.ttl),
    validity: r.validity,
    v1: r.signatureV1 !== undefined
  }))
} else {
  console.error('usage: node keys_js.mjs name|name-pem|gen|check-record …')
  process.exit(2)
}
