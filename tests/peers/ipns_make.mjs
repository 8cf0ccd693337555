// Makes IPNS records with the js reference `ipns` (V1+V2 and V2-only; Ed25519,
// RSA and secp256k1 keys) plus forged variants, for tests/tools/name_js_test.sh.
//
// Usage: node ipns_make.mjs OUTDIR
// Writes OUTDIR/<case>.ipns-record and OUTDIR/cases.tsv, one line per case:
// "<case>\t<name to verify against>\t<expected: valid, or the refusal phrase>".
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createIPNSRecord, createIPNSRecordWithExpiration, marshalIPNSRecord, unmarshalIPNSRecord } from 'ipns'
import { base36 } from 'multiformats/bases/base36'

const [outDir] = process.argv.slice(2)
if (outDir === undefined) {
  console.error('usage: node ipns_make.mjs OUTDIR')
  process.exit(2)
}
const value = '/ipfs/bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354'
const day = 24 * 60 * 60 * 1000
const lines = []

async function write (name, bytes, verifyName, expected) {
  await fs.writeFile(path.join(outDir, `${name}.ipns-record`), bytes)
  lines.push(`${name}\t${verifyName}\t${expected}`)
}

const nameOf = key => key.publicKey.toCID().toString(base36)

const keys = {
  ed25519: await generateKeyPair('Ed25519'),
  rsa: await generateKeyPair('RSA', 2048),
  secp256k1: await generateKeyPair('secp256k1')
}
const other = await generateKeyPair('Ed25519')

for (const [type, key] of Object.entries(keys)) {
  const name = nameOf(key)
  for (const v1Compatible of [true, false]) {
    const kind = v1Compatible ? 'v1v2' : 'v2'
    const record = await createIPNSRecord(key, value, 5n, 2 * day, { v1Compatible, ttlNs: 300000000000n })
    const bytes = marshalIPNSRecord(record)
    await write(`${type}-${kind}`, bytes, name, 'valid')

    // Forged: the last byte of signatureV2 flipped.
    const forged = unmarshalIPNSRecord(bytes)
    forged.signatureV2 = Uint8Array.from(forged.signatureV2)
    forged.signatureV2[forged.signatureV2.length - 1] ^= 1
    await write(`${type}-${kind}-forged-signature`, marshalIPNSRecord(forged), name, 'bad signature')

    // Forged: one character of the signed Value changed inside data.
    const tampered = unmarshalIPNSRecord(bytes)
    const data = Uint8Array.from(tampered.data)
    const at = Buffer.from(data).indexOf('bafy')
    data[at + 4] ^= 1
    tampered.data = data
    await write(`${type}-${kind}-tampered-data`, marshalIPNSRecord(tampered), name, 'bad signature')

    // A good record checked against another key's name.
    await write(`${type}-${kind}-wrong-name`, bytes, nameOf(other),
      type === 'rsa' ? 'public key does not match the name' : 'bad signature')

    const expired = await createIPNSRecordWithExpiration(key, value, 5n, '2020-01-01T00:00:00.000000000Z',
      { v1Compatible })
    await write(`${type}-${kind}-expired`, marshalIPNSRecord(expired), name, 'expired')
  }
  // V1 value no longer matching the signed data (js refuses this too).
  const record = unmarshalIPNSRecord(marshalIPNSRecord(await createIPNSRecord(key, value, 6n, day)))
  record.value = '/ipfs/bafkqaaa'
  await write(`${type}-v1-mismatch`, marshalIPNSRecord(record), name, 'V1 field disagrees with the signed data')
}

await fs.writeFile(path.join(outDir, 'cases.tsv'), lines.join('\n') + '\n')
console.log(`ok ${lines.length} cases`)
