import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config/config.js';
import { migrateToLatest, migratorFor, openDb, type Db } from '../../src/store/db.js';
import { DEFAULT_SETTINGS } from '../../src/domain/enrollment-profiles.js';
import { repositoriesOf, type Repositories } from '../../src/store/repositories/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';
import { appleDevice, storeDevices } from '../helpers/devices.js';

/**
 * Migration 0004 widens the apple_issue check. On SQLite that means rebuilding abm_tokens, a
 * table four others point at: the rows, the foreign keys in both directions and the indexes
 * must come through it unchanged.
 */
for (const { engine, skip } of await engines()) {
  describe(`migration 0004 (Apple's token_expired) on ${engine}`, { skip }, () => {
    let database: TestDatabase;
    let db: Db;
    let repos: Repositories;
    const now = '2026-06-01T12:00:00.000Z';
    let before0004: unknown[];

    before(async () => {
      database = await createTestDatabase(engine);
      db = openDb(loadConfig(database.env).database);
      const migrator = await migratorFor(db);
      const { error } = await migrator.migrateTo('0003-devices');
      assert.equal(error, undefined);

      repos = repositoriesOf(db.kysely);
      await repos.customers.insert({ id: 'c1', name: 'Acme', nameKey: 'acme', now });
      await repos.sites.insert({ id: 's1', customerId: 'c1', name: 'Main', nameKey: 'main', now });
      for (const id of ['t1', 't2']) {
        await repos.secrets.insert({ id: `key-${id}`, purpose: 'test', sealed: 'x', keyId: 'k', now });
        await repos.secrets.insert({ id: `cred-${id}`, purpose: 'test', sealed: 'x', keyId: 'k', now });
        await repos.abmTokens.insert(
          { id, customerId: 'c1', siteId: 's1', depBaseUrl: 'http://apple.test', now },
          { id: `kp-${id}`, certificatePem: 'pem', privateKeySecretId: `key-${id}`, now },
        );
        await repos.abmTokens.connect(id, {
          credentialsSecretId: `cred-${id}`,
          server: { name: `Server ${id}`, uuid: `uuid-${id}`, orgName: 'Acme', orgEmail: null, adminId: null },
          expiresAt: '2027-06-01T00:00:00.000Z',
          keyId: `kp-${id}`,
          now,
        });
      }
      await repos.abmTokens.setAppleIssue('t1', { kind: 'rejected', detail: 'revoked' }, now);
      await repos.syncStates.request('t1', now);
      // Written as 0003 knew the table: today's repository writes columns later migrations add.
      await db.kysely
        .insertInto('enrollment_profiles')
        .values({
          token_id: 't1',
          enrollment_key: 'enrollment-key-t1',
          profile_name: null,
          is_supervised: 1,
          is_mandatory: 1,
          is_mdm_removable: 0,
          await_device_configured: 1,
          skip_setup_items: JSON.stringify(DEFAULT_SETTINGS.skipSetupItems),
          created_at: now,
          updated_at: now,
        } as never)
        .execute();
      await storeDevices(repos, { tokenId: 't2', customerId: 'c1', siteId: 's1' }, [appleDevice('DEVICE0001')], now);
      before0004 = await db.kysely.selectFrom('abm_tokens').selectAll().orderBy('id').execute();

      await migrateToLatest(db);
    });
    after(async () => {
      await db.close();
      await database.drop();
    });

    test('every token row comes through unchanged', async () => {
      assert.deepEqual(await db.kysely.selectFrom('abm_tokens').selectAll().orderBy('id').execute(), before0004);
      assert.equal((await repos.syncStates.find('t1'))?.requestedAt, now);
    });

    test('an expired issue is stored now; an unknown kind is still refused', async () => {
      await repos.abmTokens.setAppleIssue('t2', { kind: 'expired', detail: 'token_expired' }, now);
      const token = await repos.abmTokens.findById('t2');
      assert.equal(token?.state === 'connected' ? token.appleIssue?.kind : undefined, 'expired');
      await assert.rejects(
        db.kysely
          .updateTable('abm_tokens')
          .set({ apple_issue: 'bogus' as 'expired' })
          .where('id', '=', 't2')
          .execute(),
      );
    });

    test('foreign keys still hold both ways: to customers and sites, and from keys, devices and sync state', async () => {
      if (engine === 'sqlite') {
        const on = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(db.kysely);
        assert.equal(on.rows[0]?.foreign_keys, 1, 'foreign keys are enforced again after the rebuild');
      }
      // A token for a site of no customer, and a key for no token, are refused.
      await assert.rejects(
        repos.abmTokens.insert(
          { id: 't9', customerId: 'c1', siteId: 'nowhere', depBaseUrl: 'http://apple.test', now },
          { id: 'kp-t9', certificatePem: 'pem', privateKeySecretId: 'key-t1', now },
        ),
      );
      await assert.rejects(
        db.kysely
          .insertInto('abm_token_keys')
          .values({
            id: 'kp-orphan',
            token_id: 'no-such-token',
            slot: 'staged',
            certificate_pem: 'pem',
            private_key_secret_id: 'key-t1',
            created_at: now,
          })
          .execute(),
      );
      // A second token for one MDM server is still refused by the unique index.
      await assert.rejects(
        db.kysely.updateTable('abm_tokens').set({ server_uuid: 'uuid-t1' }).where('id', '=', 't2').execute(),
      );
      // A token with devices cannot be deleted (devices restrict); one without takes its key pairs along.
      await assert.rejects(db.kysely.deleteFrom('abm_tokens').where('id', '=', 't2').execute());
      await db.kysely.deleteFrom('sync_states').where('token_id', '=', 't1').execute();
      await db.kysely.deleteFrom('enrollment_profiles').where('token_id', '=', 't1').execute();
      await db.kysely.deleteFrom('abm_tokens').where('id', '=', 't1').execute();
      assert.deepEqual(
        await db.kysely.selectFrom('abm_token_keys').select('id').where('token_id', '=', 't1').execute(),
        [],
      );
    });
  });
}
