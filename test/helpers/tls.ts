/**
 * Certificates made at run time by openssl (P-256, two days) for the tests of TLS and mutual TLS:
 * a CA, and leaf certificates it signs with the subjectAltName a test needs.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A self-signed CA in `dir`: NAME.key and NAME.pem (CN=NAME). */
export function makeTestCa(dir: string, name: string): void {
  openssl(dir, 'req', '-x509', ...EC_KEY, '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`);
}

/** NAME.key and NAME.pem in `dir` (CN=NAME), signed by the CA `ca` made there, for `san` (e.g. "DNS:brain.floor,IP:127.0.0.1"). */
export function makeTestCert(dir: string, ca: string, name: string, san: string): void {
  openssl(dir, 'req', ...EC_KEY, '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  );
}

/** The PEM text a TLS client or server of a test loads: the CA's certificate, and NAME's key and certificate. */
export function readTestTls(dir: string, ca: string, name: string): { ca: Buffer; key: Buffer; cert: Buffer } {
  const read = (file: string) => readFileSync(join(dir, file));
  return { ca: read(`${ca}.pem`), key: read(`${name}.key`), cert: read(`${name}.pem`) };
}
