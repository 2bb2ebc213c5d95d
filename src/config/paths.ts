import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './config.js';

/** The checkout's root, found from this file whether it runs from src/ (tsx) or dist/src/ (built). */
export function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the Orchard checkout (no package.json above this module)');
    dir = parent;
  }
  return dir;
}

/**
 * Makes a SQLite database file readable by Orchard's user only, before SQLite opens it: the
 * directory 0700 and the file 0600 when they are created here. SQLite gives the -wal and -shm
 * files the database file's permission bits (unixOpen's findCreateFileMode), so they follow.
 * Files and directories that already exist keep the mode their operator gave them.
 */
export function preparePrivateSqliteFile(file: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // 'a' creates the file if it is missing and never truncates one that exists.
    fs.closeSync(fs.openSync(file, 'a', 0o600));
  } catch (error) {
    // A data directory that is a file, a database path that is a directory, no permission, a
    // read-only disk: the operator's to mend, said in one line rather than a stack trace.
    const reason = FILE_TROUBLE[(error as { code?: string }).code ?? ''];
    if (reason === undefined) throw error;
    throw new ConfigError('ORCHARD_DATA_DIR', `cannot hold the SQLite database ${file}: ${reason}`);
  }
}

const FILE_TROUBLE: Readonly<Record<string, string>> = {
  EISDIR: 'that path is a directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'a part of the path is a file, not a directory',
  EACCES: 'permission denied (Orchard’s user must be able to write there)',
  EPERM: 'permission denied (Orchard’s user must be able to write there)',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
};
