// What one CMS signature costs: `signData` (src/mdm/pki/cms-sign.ts) as the server calls it
// for an enrollment profile (attached, 2 KiB, with the CA as an extra certificate) and as a
// device calls it for a check-in's Mdm-Signature (detached, 500 bytes, through the
// simulator's DeviceSigner), with an RSA-2048 and an EC P-256 signer. The bare signature
// (`crypto.sign` over ~100 bytes of signed attributes) is the floor. Prints wall and CPU
// milliseconds per operation (CPU is the steadier number on a shared machine). Usage:
//   npx tsx bench/cms-sign.ts [N=2000]
import { createPrivateKey, sign } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DeviceSigner } from '../src/device-simulator/mdm-signature.js';
import { signData } from '../src/mdm/pki/cms-sign.js';
import { type Identity, createCertificateAuthority, createIdentity } from '../src/mdm/pki/identity.js';
import { machine } from './support.js';

const N = Number(process.argv[2] ?? 2000);
const NOW = new Date('2026-06-01T12:00:00Z');
const PROFILE = Buffer.alloc(2048, '<key>PayloadContent</key>\n');
const CHECK_IN = Buffer.alloc(500, '<key>MessageType</key><string>Authenticate</string>\n');

/** Wall and CPU (user + system, this process) milliseconds per call, after a warm-up. */
async function msPerOp(run: () => unknown): Promise<{ wall: number; cpu: number }> {
  for (let i = 0; i < Math.min(100, N); i++) await run();
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < N; i++) await run();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const round = (ms: number) => Number((ms / N).toFixed(3));
  return { wall: round(wall), cpu: round((used.user + used.system) / 1000) };
}

const ca = await createCertificateAuthority({ subject: [['CN', 'Bench CA']], now: NOW, validityDays: 30 });
const signers: Record<'rsa-2048' | 'ec-p256', Identity> = {
  'rsa-2048': await createIdentity({
    subject: [['CN', 'Bench RSA signer']],
    issuer: ca,
    now: NOW,
    validityDays: 30,
    profile: 'signing',
  }),
  'ec-p256': await createIdentity({
    subject: [['CN', 'Bench EC signer']],
    issuer: ca,
    now: NOW,
    validityDays: 30,
    profile: 'signing',
    keyType: 'ec-p256',
  }),
};

const results: Record<string, Record<string, { wall: number; cpu: number }>> = {};
for (const [name, identity] of Object.entries(signers)) {
  const key = createPrivateKey(identity.privateKeyPem);
  const attributes = Buffer.alloc(104, 1);
  const device = new DeviceSigner(identity);
  results[name] = {
    'bare signature': await msPerOp(() => sign('sha256', attributes, key)),
    'profile, attached 2 KiB': await msPerOp(() =>
      signData({
        content: PROFILE,
        signer: identity,
        detached: false,
        now: NOW,
        extraCertificatesPem: [ca.certificatePem],
      }),
    ),
    'check-in, detached 500 B': await msPerOp(() =>
      signData({ content: CHECK_IN, signer: identity, detached: true, now: NOW }),
    ),
    'check-in via DeviceSigner': await msPerOp(() => device.sign(CHECK_IN, NOW)),
  };
}

console.log(JSON.stringify({ machine: machine(), n: N, msPerOp: results }, null, 2));
