/** Everything one running sandbox is made of, opened once by the plugin and shared by its routes. */
import { randomBytes } from 'node:crypto';
import { SandboxClock } from './clock.js';
import { CursorCodec } from './cursors.js';
import { ensureMeta, openSandboxDb, type SandboxDb } from './db.js';
import { DepAuth } from './dep-auth.js';
import { DeviceCa } from './device-ca.js';
import { DeviceIdentityStore } from './device-identities.js';
import { DeviceStore } from './devices.js';
import { FaultStore } from './faults.js';
import { OrganizationStore } from './organization.js';
import { ProfileStore } from './profiles.js';
import { ServerStore } from './servers.js';
import { SessionStore } from './sessions.js';

export interface SandboxContext {
  readonly db: SandboxDb;
  readonly clock: SandboxClock;
  readonly organization: OrganizationStore;
  readonly servers: ServerStore;
  readonly sessions: SessionStore;
  readonly devices: DeviceStore;
  readonly profiles: ProfileStore;
  readonly faults: FaultStore;
  readonly deviceCa: DeviceCa;
  readonly identities: DeviceIdentityStore;
  readonly cursors: CursorCodec;
  readonly auth: DepAuth;
  readonly publicUrl: string;
}

export function openSandbox(options: { dataDir: string; clock?: () => Date; publicUrl: string }): SandboxContext {
  const db = openSandboxDb(options.dataDir);
  try {
    const hostClock = options.clock ?? (() => new Date());
    const clock = new SandboxClock(db, hostClock);
    const organization = new OrganizationStore(db);
    const servers = new ServerStore(db);
    const sessions = new SessionStore(db);
    const faults = new FaultStore(db);
    const deviceCa = new DeviceCa(db, hostClock);
    // Stored, so cursors handed out before a restart stay valid after it.
    const cursorKey = Buffer.from(
      ensureMeta(db, 'cursor_key', () => randomBytes(32).toString('hex')),
      'hex',
    );
    return {
      db,
      clock,
      organization,
      servers,
      sessions,
      devices: new DeviceStore(db),
      profiles: new ProfileStore(db),
      faults,
      deviceCa,
      identities: new DeviceIdentityStore(db, deviceCa, hostClock),
      cursors: new CursorCodec(cursorKey),
      auth: new DepAuth({ clock, servers, sessions, faults, organization, publicUrl: options.publicUrl }),
      publicUrl: options.publicUrl,
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
