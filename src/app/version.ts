import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config/paths.js';

/** Orchard's version, from package.json, for User-Agent headers and /api/v1/system. */
export const ORCHARD_VERSION: string = (
  JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string }
).version;
