// The lab's certificate authority and the API server's serving certificate (ECDSA P-256), as kubeadm makes them for a cluster.
// @peculiar/x509 resolves its services through tsyringe, which needs this polyfill loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

export interface Pki {
  /** PEM of the CA certificate: what kubeconfigs and pods trust. */
  caCert: string;
  /** PEM of the serving certificate and its private key (PKCS#8). */
  serverCert: string;
  serverKey: string;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

async function keys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** The names kube-apiserver's certificate carries, plus the addresses the lab serves on. */
export function apiServerNames(ips: string[]): { dns: string[]; ips: string[] } {
  return {
    dns: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost'],
    ips,
  };
}

async function create(ips: string[]): Promise<Pki> {
  const now = new Date(Date.now() - 60_000);
  const notAfter = new Date(now.getTime() + TEN_YEARS_MS);
  const caKeys = await keys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=sidecar-lab-ca',
    keys: caKeys,
    notBefore: now,
    notAfter,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const serverKeys = await keys();
  const names = apiServerNames(ips);
  const server = await x509.X509CertificateGenerator.create({
    subject: 'CN=kube-apiserver',
    issuer: ca.subject,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    notBefore: now,
    notAfter,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.dns.map((value) => ({ type: 'dns' as const, value })),
        ...names.ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  return {
    caCert: ca.toString('pem') + '\n',
    serverCert: server.toString('pem') + '\n',
    serverKey: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey)),
  };
}

/** The lab's PKI in `dir`, made once: a host that restarts keeps its CA, so kubeconfigs stay valid. */
export async function loadOrCreatePki(dir: string, ips: string[]): Promise<Pki> {
  const files = { caCert: join(dir, 'ca.crt'), serverCert: join(dir, 'apiserver.crt'), serverKey: join(dir, 'apiserver.key') };
  if (Object.values(files).every((f) => existsSync(f))) {
    return { caCert: readFileSync(files.caCert, 'utf8'), serverCert: readFileSync(files.serverCert, 'utf8'), serverKey: readFileSync(files.serverKey, 'utf8') };
  }
  const pki = await create(ips);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(files.caCert, pki.caCert);
  writeFileSync(files.serverCert, pki.serverCert);
  writeFileSync(files.serverKey, pki.serverKey, { mode: 0o600 });
  return pki;
}
