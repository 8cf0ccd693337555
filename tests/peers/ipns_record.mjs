// Makes one IPNS record with the js reference `ipns`, from a fixed Ed25519
// seed so a test can publish several sequences under one name.
//
// Usage: node ipns_record.mjs SEED_HEX(32 bytes) VALUE SEQUENCE TTL_SECONDS OUTFILE
// Prints the name ("k51…"). V1+V2 record, valid for one day.
import { promises as fs } from 'node:fs'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { createIPNSRecord, marshalIPNSRecord } from 'ipns'
import { base36 } from 'multiformats/bases/base36'

const [seedHex, value, seq, ttl, out] = process.argv.slice(2)
if (out === undefined) {
  console.error('usage: node ipns_record.mjs SEED_HEX VALUE SEQUENCE TTL_SECONDS OUTFILE')
  process.exit(2)
}
const key = await generateKeyPairFromSeed('Ed25519', Uint8Array.from(Buffer.from(seedHex, 'hex')))
const record = await createIPNSRecord(key, value, BigInt(seq), 24 * 60 * 60 * 1000,
  { v1Compatible: true, ttlNs: BigInt(ttl) * 1000000000n })
await fs.writeFile(out, marshalIPNSRecord(record))
console.log(key.publicKey.toCID().toString(base36))
