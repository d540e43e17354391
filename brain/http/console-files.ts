/**
 * The wall board's static files (brain/http/console/), read once at start: GET /,
 * /console/, /incidents/ID (the link in page mails: the board with that incident open) and
 * /hosts/ID (the board with that host's detail open) give the page, /console/*.js and
 * /console/console.css the rest.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../lib/paths.js';

export interface ConsoleFile {
  type: string;
  body: Buffer;
}

let files: Map<string, ConsoleFile> | undefined;

function load(): Map<string, ConsoleFile> {
  const dir = join(packageRoot(), 'brain', 'http', 'console');
  const read = (name: string, type: string): ConsoleFile => ({ type, body: readFileSync(join(dir, name)) });
  const page = read('index.html', 'text/html; charset=utf-8');
  return new Map([
    ['/', page],
    ['/console', page],
    ['/console/', page],
    ['/console/console.js', read('console.js', 'text/javascript; charset=utf-8')],
    ['/console/login.js', read('login.js', 'text/javascript; charset=utf-8')],
    ['/console/host.js', read('host.js', 'text/javascript; charset=utf-8')],
    ['/console/chart.js', read('chart.js', 'text/javascript; charset=utf-8')],
    ['/console/dom.js', read('dom.js', 'text/javascript; charset=utf-8')],
    ['/console/console.css', read('console.css', 'text/css; charset=utf-8')],
  ]);
}

/** Links into the board: an incident's timeline open (page mails), a host's detail open. */
const INCIDENT_LINK = /^\/(?:incidents\/[A-Za-z0-9._-]+|hosts\/[A-Za-z0-9._:-]+)$/;

export function consoleFile(path: string): ConsoleFile | undefined {
  files ??= load();
  return files.get(INCIDENT_LINK.test(path) ? '/' : path);
}
