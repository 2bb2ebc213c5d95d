// The enrollment profile Orchard serves, read back by the `plist` package: a configuration
// profile whose SCEP payload and com.apple.mdm payload hold every key Apple requires
// (apple/device-management mdm/profiles/com.apple.mdm.yaml, com.apple.security.scep.yaml),
// with the MDM payload naming the SCEP payload's identity.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'plist';
import { ALL_ACCESS_RIGHTS, buildEnrollmentProfile } from '../../src/mdm/enrollment-profile.js';

const request = {
  identifierBase: 'com.example.orchard.enrollment',
  displayName: 'Acme & Sons – Head Office device management',
  organization: 'Acme & Sons',
  description: 'Enrolls this device in Orchard.',
  scep: {
    url: 'https://orchard.example.com/mdm/scep',
    challenge: 'c<h>a&l"l\'enge',
    subject: [
      ['O', 'Orchard'],
      ['CN', 'F2LXK0Q6NW'],
    ] as const,
    caName: 'Orchard Device CA',
  },
  mdm: {
    serverUrl: 'https://orchard.example.com/mdm/connect',
    checkInUrl: 'https://orchard.example.com/mdm/checkin',
    topic: 'com.apple.mgmt.External.2a9c5a3e-0000-4000-8000-000000000000',
  },
};

type Dict = Record<string, unknown>;
const read = (xml: string) => {
  const profile = parse(xml) as Dict;
  const payloads = profile['PayloadContent'] as Dict[];
  const scep = payloads.find((p) => p['PayloadType'] === 'com.apple.security.scep') as Dict;
  const mdm = payloads.find((p) => p['PayloadType'] === 'com.apple.mdm') as Dict;
  return { profile, payloads, scep, mdm };
};

describe('the enrollment profile', () => {
  test('is a Configuration profile holding a SCEP payload and an MDM payload', () => {
    const { profile, payloads, scep, mdm } = read(buildEnrollmentProfile(request));
    assert.equal(profile['PayloadType'], 'Configuration');
    assert.equal(profile['PayloadVersion'], 1);
    assert.equal(profile['PayloadIdentifier'], request.identifierBase);
    assert.equal(profile['PayloadDisplayName'], request.displayName);
    assert.equal(profile['PayloadOrganization'], 'Acme & Sons');
    assert.equal(payloads.length, 2);
    assert.ok(scep && mdm);
    const uuids = [profile, scep, mdm].map((p) => p['PayloadUUID']);
    assert.equal(new Set(uuids).size, 3, 'every payload has its own UUID');
    const identifiers = [profile, scep, mdm].map((p) => p['PayloadIdentifier']);
    assert.equal(new Set(identifiers).size, 3, 'and its own identifier');
    for (const payload of payloads) assert.equal(payload['PayloadVersion'], 1);
  });

  test('the SCEP payload has the URL, the challenge, a 2048-bit RSA key and the device’s subject', () => {
    const { scep } = read(buildEnrollmentProfile(request));
    const content = scep['PayloadContent'] as Dict;
    assert.equal(content['URL'], request.scep.url);
    assert.equal(content['Challenge'], request.scep.challenge, 'XML-special characters survive');
    assert.equal(content['Keysize'], 2048);
    assert.equal(content['Key Type'], 'RSA');
    assert.equal(content['Key Usage'], 5);
    assert.equal(content['Name'], 'Orchard Device CA');
    // One RDN per attribute, each a set holding one [type, value] pair.
    assert.deepEqual(content['Subject'], [[['O', 'Orchard']], [['CN', 'F2LXK0Q6NW']]]);
  });

  test('the MDM payload names the SCEP identity, the topic and Orchard’s URLs, signs messages and has every right', () => {
    const { scep, mdm } = read(buildEnrollmentProfile(request));
    assert.equal(mdm['IdentityCertificateUUID'], scep['PayloadUUID']);
    assert.equal(mdm['Topic'], request.mdm.topic);
    assert.match(String(mdm['Topic']), /^com\.apple\.mgmt\./);
    assert.equal(mdm['ServerURL'], request.mdm.serverUrl);
    assert.equal(mdm['CheckInURL'], request.mdm.checkInUrl);
    assert.equal(mdm['SignMessage'], true);
    assert.equal(mdm['CheckOutWhenRemoved'], true);
    assert.equal(mdm['AccessRights'], 8191);
    assert.equal(ALL_ACCESS_RIGHTS, 2 ** 13 - 1);
    const capabilities = mdm['ServerCapabilities'] as string[];
    assert.ok(Array.isArray(capabilities));
    assert.ok(capabilities.includes('com.apple.mdm.per-user-connections'));
    assert.ok(capabilities.includes('com.apple.mdm.bootstraptoken'), 'Orchard escrows bootstrap tokens');
  });

  test('fresh UUIDs each time, or the ones a caller pins', () => {
    const one = read(buildEnrollmentProfile(request));
    const two = read(buildEnrollmentProfile(request));
    assert.notEqual(one.scep['PayloadUUID'], two.scep['PayloadUUID']);
    let n = 0;
    const pinned = read(buildEnrollmentProfile({ ...request, uuid: () => `UUID-${++n}` }));
    assert.equal(pinned.scep['PayloadUUID'], 'UUID-1');
    assert.equal(pinned.mdm['IdentityCertificateUUID'], 'UUID-1');
    assert.equal(pinned.mdm['PayloadUUID'], 'UUID-2');
    assert.equal(pinned.profile['PayloadUUID'], 'UUID-3');
  });
});
