// Deterministic fuzzing of what devices talk to: hundreds of hostile bodies and headers per
// endpoint (random bytes, damaged CMS, signed CMS around anything, plists of the wrong shape,
// nested thousands deep, megabytes long, binary, with entity declarations) to the enrollment
// URL, the check-in URL and the command endpoint, unsigned, signed by an enrolled device, and
// with broken Mdm-Signature headers. Every answer is a 4xx, never a 5xx, nothing hangs, and
// the database is exactly as it was. A failure names its seed and case, so it can be replayed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildBinary } from 'plist';
import { createIdentity, type Identity } from '../../src/mdm/pki/identity.js';
import { enrollmentFixture, type EnrollmentFixture } from '../helpers/enrollment.js';
import { engines } from '../helpers/services.js';
import { prng } from '../helpers/prng.js';
import {
  enrollDevice,
  factoryDevice,
  machineInfo,
  mdmSignature,
  plistXml,
  signAttached,
  type FactoryDevice,
  type MdmDevice,
  type PlistInput,
} from './support.js';

const CASES_PER_ENDPOINT = 300;

type Random = () => number;
interface Case {
  readonly kind: string;
  readonly body: Buffer;
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const int = (random: Random, n: number) => Math.floor(random() * n);
const bytes = (random: Random, n: number) => Buffer.from(Array.from({ length: n }, () => int(random, 256)));
const udidLike = (random: Random) => `00008110-${bytes(random, 8).toString('hex').toUpperCase()}`;

function flipBits(random: Random, input: Buffer): Buffer {
  const out = Buffer.from(input);
  for (let flips = 1 + int(random, 4); flips > 0; flips--) {
    const at = int(random, out.length);
    out[at] = (out[at] ?? 0) ^ (1 << int(random, 8));
  }
  return out;
}

/** A value of a type no field of a device message has. */
function wrongValue(random: Random): PlistInput {
  return pick(random, [
    () => int(random, 1_000_000) - 500_000,
    () => random() * 1e6,
    () => random() < 0.5,
    () => new Date(Date.UTC(2001 + int(random, 50), int(random, 12), 1)),
    () => bytes(random, int(random, 40)),
    () => [udidLike(random), int(random, 9)],
    () => ({ nested: udidLike(random) }),
  ])();
}

/** Plists built to hurt, none of which is a valid message for an enrolled device. */
function hostilePlist(random: Random): Case {
  const udid = udidLike(random);
  const doc = (inner: string) =>
    Buffer.from(
      `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">${inner}</plist>`,
    );
  switch (int(random, 9)) {
    case 0: {
      const value: Record<string, PlistInput> = {};
      for (const key of ['MessageType', 'Status', 'UDID', 'Topic', 'SERIAL', 'CommandUUID', 'Token', 'PushMagic']) {
        if (random() < 0.7) value[key] = wrongValue(random);
      }
      return { kind: 'wrong types', body: Buffer.from(plistXml(value)) };
    }
    case 1: {
      const depth = 33 + int(random, 5000);
      const [open, close] = random() < 0.5 ? ['<array>', '</array>'] : ['<dict><key>k</key>', '</dict>'];
      return { kind: `nested ${depth} deep`, body: doc(`${open.repeat(depth)}<true/>${close.repeat(depth)}`) };
    }
    case 2: {
      const size = pick(random, [2_000, 70_000, 200_000, 1_500_000]);
      const key = pick(random, ['UDID', 'DeviceName', 'Topic', 'MessageType', 'SERIAL']);
      const value: Record<string, PlistInput> = {
        MessageType: 'Authenticate',
        Status: 'Idle',
        UDID: udid,
        SERIAL: 'C0FUZZ',
      };
      value[key] = 'A'.repeat(size);
      return { kind: `a ${size}-character ${key}`, body: Buffer.from(plistXml(value)) };
    }
    case 3: {
      if (random() < 0.3) {
        // References fanning out 2^24 times from 160 bytes.
        const objects: Buffer[] = [];
        for (let i = 0; i < 24; i++) objects.push(Buffer.from([0xa2, i + 1, i + 1]));
        objects.push(Buffer.from([0x10, 1]));
        const offsets: number[] = [];
        let at = 8;
        for (const object of objects) {
          offsets.push(at);
          at += object.length;
        }
        const table = Buffer.from(offsets);
        const trailer = Buffer.alloc(32);
        trailer[6] = 1;
        trailer[7] = 1;
        trailer.writeBigUInt64BE(BigInt(objects.length), 8);
        trailer.writeBigUInt64BE(BigInt(at), 24);
        return {
          kind: 'binary reference bomb',
          body: Buffer.concat([Buffer.from('bplist00'), ...objects, table, trailer]),
        };
      }
      const binary = Buffer.from(
        buildBinary({ MessageType: 'TokenUpdate', Status: 'Idle', UDID: udid, Token: bytes(random, 32), N: [1, 2] }),
      );
      const damaged = random() < 0.5 ? flipBits(random, binary) : binary.subarray(0, int(random, binary.length));
      return { kind: 'binary plist, damaged', body: damaged };
    }
    case 4:
      return {
        kind: 'XML entities',
        body: Buffer.from(
          pick(random, [
            `<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "${'x'.repeat(50)}"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><plist><dict><key>UDID</key><string>&c;</string></dict></plist>`,
            `<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY x SYSTEM "file:///etc/passwd">]><plist><dict><key>UDID</key><string>&x;</string></dict></plist>`,
            `<plist><dict><key>UDID</key><string>&undefined;</string></dict></plist>`,
            `<plist><dict><key>UDID</key><string>a&#0;b</string><key>MessageType</key><string>Authenticate</string></dict></plist>`,
            `<plist><dict><key>UDID</key><string>&#xD800;</string></dict></plist>`,
            `<plist><dict><key>UDID</key><string>&#99999999;</string></dict></plist>`,
          ]),
        ),
      };
    case 5: {
      const tags = [
        '<dict>',
        '</dict>',
        '<key>',
        '</key>',
        '<string>',
        '</string>',
        '<array/>',
        '&amp;',
        '<![CDATA[',
        ']]>',
        '<!--',
        '-->',
        'UDID',
        udid,
      ];
      return {
        kind: 'tag soup',
        body: doc(Array.from({ length: 5 + int(random, 60) }, () => pick(random, tags)).join('')),
      };
    }
    case 6:
      return {
        kind: 'a root that is not a dictionary',
        body: Buffer.from(plistXml(pick(random, [[udid], udid, 42, true] as PlistInput[]))),
      };
    case 7: {
      const valid = plistXml(
        pick(random, [
          { MessageType: 'Authenticate', UDID: udid, Topic: 'com.apple.mgmt.External.x', DeviceName: 'Fuzz' },
          {
            MessageType: 'TokenUpdate',
            UDID: udid,
            Topic: 'com.apple.mgmt.x',
            Token: bytes(random, 32),
            PushMagic: 'M',
          },
          { Status: 'Acknowledged', UDID: udid, CommandUUID: 'C0FFEE', QueryResponses: { DeviceName: 'x' } },
          { UDID: udid, SERIAL: 'C0FUZZ', PRODUCT: 'iPhone15,2', VERSION: '22B83' },
        ] as PlistInput[]),
      );
      const raw = Buffer.from(valid);
      return {
        kind: 'a valid-looking message, damaged',
        body: random() < 0.5 ? flipBits(random, raw) : raw.subarray(0, int(random, raw.length)),
      };
    }
    default:
      return { kind: 'random bytes', body: bytes(random, int(random, 2048)) };
  }
}

/** A real device's message with one required field missing or of the wrong type: 400, nothing else. */
function brokenMessage(random: Random, d: MdmDevice): Case {
  const messages: Array<[Record<string, PlistInput>, string[]]> = [
    [
      { MessageType: 'Authenticate', UDID: d.udid, Topic: d.topic, SerialNumber: d.serial },
      ['MessageType', 'UDID', 'Topic'],
    ],
    [
      { MessageType: 'TokenUpdate', UDID: d.udid, Topic: d.topic, Token: bytes(random, 32), PushMagic: 'P' },
      ['MessageType', 'UDID', 'Topic', 'Token', 'PushMagic'],
    ],
    [{ MessageType: 'CheckOut', UDID: d.udid, Topic: d.topic }, ['MessageType', 'UDID', 'Topic']],
    [{ Status: 'Idle', UDID: d.udid }, ['Status', 'UDID']],
    [{ Status: 'Acknowledged', UDID: d.udid, CommandUUID: 'C0FFEE' }, ['Status', 'UDID', 'CommandUUID']],
  ];
  const [message, required] = pick(random, messages);
  const key = pick(random, required);
  const broken: Record<string, PlistInput> = { ...message };
  if (random() < 0.3) delete broken[key];
  else broken[key] = key === 'Token' ? pick(random, ['token', 7] as PlistInput[]) : wrongValue(random);
  return {
    kind: `${String(message['MessageType'] ?? message['Status'])} with ${key} broken`,
    body: Buffer.from(plistXml(broken)),
  };
}

function brokenMachineInfo(random: Random, device: FactoryDevice): Case {
  const fields: Record<string, PlistInput> = {
    UDID: device.udid,
    SERIAL: device.serial,
    PRODUCT: 'iPhone15,2',
    VERSION: '22B83',
    OS_VERSION: '18.1',
  };
  const key = pick(random, ['UDID', 'SERIAL', 'PRODUCT', 'VERSION']);
  if (random() < 0.3) delete fields[key];
  else fields[key] = random() < 0.2 ? 'A'.repeat(1025 + int(random, 5000)) : wrongValue(random);
  return { kind: `MachineInfo with ${key} broken`, body: Buffer.from(plistXml(fields)) };
}

const CONTENT_TYPES = [
  undefined,
  'application/pkcs7-signature',
  'application/x-apple-aspen-mdm-checkin',
  'application/json',
  'application/x-www-form-urlencoded',
  'text/plain; charset=klingon',
  'multipart/form-data; boundary=x',
  'garbage',
];

for (const { engine, skip } of await engines()) {
  describe(`garbage of every kind gets a 4xx and changes nothing (${engine})`, { skip }, () => {
    let f: EnrollmentFixture;
    let enrolled: MdmDevice;
    let waiting: FactoryDevice;
    let validMachineInfo: Buffer;
    let stranger: Identity;

    before(async () => {
      f = await enrollmentFixture(engine, { devices: 2 });
      enrolled = await enrollDevice(f, f.serials[0] as string);
      waiting = await factoryDevice(f, f.serials[1] as string);
      validMachineInfo = await signAttached(machineInfo(waiting), waiting.factory);
      stranger = await createIdentity({
        subject: [['CN', waiting.udid]],
        now: new Date(),
        validityDays: 9,
        profile: 'client-identity',
      });
    });
    after(() => f.close());

    /** Every row the enrollment touches, as one comparable string. */
    const snapshot = async () => {
      const db = f.t.orchard.db.kysely;
      const tables = [
        'devices',
        'enrollment_attempts',
        'mdm_enrollments',
        'mdm_commands',
        'enrollment_events',
        'pki_identities',
        'secrets',
      ] as const;
      const out: Record<string, string[]> = {};
      for (const table of tables) {
        const rows = await db.selectFrom(table).selectAll().execute();
        out[table] = rows
          .map((r) => JSON.stringify(r, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v)))
          .sort();
      }
      return out;
    };

    const send = async (
      label: string,
      url: string,
      init: { method: string; body?: Buffer; headers?: Record<string, string> },
    ) => {
      let response: Response;
      try {
        response = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
      } catch (error) {
        assert.fail(`${label}: no answer (${String(error)})`);
      }
      const text = await response.text();
      assert.ok(response.status >= 400 && response.status < 500, `${label}: ${response.status} ${text.slice(0, 300)}`);
      return response.status;
    };

    const headersFor = (random: Random): Record<string, string> => {
      const type = pick(random, CONTENT_TYPES);
      return type === undefined ? {} : { 'content-type': type };
    };

    test(`${CASES_PER_ENDPOINT} hostile MachineInfo requests to a valid enrollment URL`, async () => {
      const before = await snapshot();
      const random = prng(0xe1);
      const statuses = new Map<number, number>();
      for (let i = 0; i < CASES_PER_ENDPOINT; i++) {
        let c: Case;
        switch (int(random, 8)) {
          case 0:
            c = { kind: 'random bytes', body: bytes(random, int(random, 4096)) };
            break;
          case 1:
            c = {
              kind: 'signed MachineInfo, truncated',
              body: validMachineInfo.subarray(0, int(random, validMachineInfo.length)),
            };
            break;
          case 2:
            c = { kind: 'signed MachineInfo, bits flipped', body: flipBits(random, validMachineInfo) };
            break;
          case 3:
            c = {
              kind: 'trusted signature around random bytes',
              body: await signAttached(bytes(random, int(random, 3000)), waiting.factory),
            };
            break;
          case 4: {
            const inner = hostilePlist(random);
            c = {
              kind: `trusted signature around ${inner.kind}`,
              body: await signAttached(inner.body, waiting.factory),
            };
            break;
          }
          case 5: {
            const inner = brokenMachineInfo(random, waiting);
            c = {
              kind: `trusted signature around ${inner.kind}`,
              body: await signAttached(inner.body, waiting.factory),
            };
            break;
          }
          case 6:
            c = { kind: 'a self-made signer', body: await signAttached(machineInfo(waiting), stranger) };
            break;
          default:
            c = hostilePlist(random);
        }
        const label = `enroll case ${i} (${c.kind})`;
        // The web-view flow carries MachineInfo in a header; headers stop at 16 KiB, so big cases are POSTed.
        const status =
          random() < 0.8 || c.body.length > 10_000
            ? await send(label, waiting.enrollUrl, { method: 'POST', body: c.body, headers: headersFor(random) })
            : await send(label, waiting.enrollUrl, {
                method: 'GET',
                headers: {
                  'x-apple-aspen-deviceinfo':
                    random() < 0.8
                      ? c.body.toString('base64')
                      : c.body.toString('latin1').replace(/[^\x20-\x7e]/g, '?'),
                },
              });
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
      assert.deepEqual(await snapshot(), before);
      assert.ok((statuses.get(400) ?? 0) > 0 && (statuses.get(403) ?? 0) > 0, JSON.stringify([...statuses]));
    });

    for (const path of ['/mdm/checkin', '/mdm/connect'] as const) {
      test(`${CASES_PER_ENDPOINT} hostile bodies and signatures to ${path}`, async () => {
        const before = await snapshot();
        const random = prng(path === '/mdm/checkin' ? 0xc1 : 0xc2);
        const valid = await mdmSignature(plistXml({ Status: 'Idle', UDID: enrolled.udid }), enrolled.identity);
        const statuses = new Map<number, number>();
        for (let i = 0; i < CASES_PER_ENDPOINT; i++) {
          const c = random() < 0.25 ? brokenMessage(random, enrolled) : hostilePlist(random);
          // A broken message of the enrolled device is always signed by it: unsigned, its UDID would
          // (rightly) put a refusal on that device's timeline.
          const signing = c.kind.includes('broken') ? 0 : int(random, 7);
          let header: string | undefined;
          switch (signing) {
            case 0:
              header = await mdmSignature(c.body, enrolled.identity);
              break;
            case 1:
              header = valid; // over another body
              break;
            case 2:
              header = Buffer.from(valid, 'base64').subarray(0, int(random, 2000)).toString('base64');
              break;
            case 3:
              header = flipBits(random, Buffer.from(valid, 'base64')).toString('base64');
              break;
            case 4:
              header = pick(random, [
                '!!!',
                'not base64 at all',
                '=====',
                'a'.repeat(9000),
                `${valid}*`,
                bytes(random, 300).toString('base64'),
              ]);
              break;
            case 5:
              header = await mdmSignature(c.body, stranger);
              break;
            default:
              header = undefined;
          }
          const headers: Record<string, string> = headersFor(random);
          if (header !== undefined) headers['mdm-signature'] = header;
          const status = await send(`${path} case ${i} (${c.kind}, signature ${signing})`, `${f.base}${path}`, {
            method: 'PUT',
            body: c.body,
            headers,
          });
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
        assert.deepEqual(await snapshot(), before);
        assert.ok((statuses.get(400) ?? 0) > 0 && (statuses.get(403) ?? 0) > 0, JSON.stringify([...statuses]));
      });
    }

    test('weird Mdm-Signature headers: not base64, repeated, oversized — 4xx, never 5xx', async () => {
      const before = await snapshot();
      const body = Buffer.from(plistXml({ Status: 'Idle', UDID: udidLike(prng(1)) }));
      const valid = await mdmSignature(body, enrolled.identity);
      const headerSets: Array<Record<string, string>> = [
        { 'mdm-signature': '' },
        { 'mdm-signature': ' ' },
        { 'mdm-signature': '%%%%' },
        { 'mdm-signature': `${valid.slice(0, 20)} ${valid.slice(20)}` },
        { 'mdm-signature': valid.replace(/\+/g, '-').replace(/\//g, '_') },
        { 'mdm-signature': 'A'.repeat(15_000) },
        { 'mdm-signature': 'A'.repeat(70_000) },
        { 'mdm-signature': `${valid}, ${valid}` },
        { 'mdm-signature': Buffer.from('\u00ff\u00fe', 'latin1').toString('latin1') },
      ];
      for (const path of ['/mdm/checkin', '/mdm/connect']) {
        for (const [i, headers] of headerSets.entries()) {
          await send(`${path} header set ${i}`, `${f.base}${path}`, { method: 'PUT', body, headers });
        }
      }
      assert.deepEqual(await snapshot(), before);
    });
  });
}
