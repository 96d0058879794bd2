// Bearer tokens: the lab admin's (in the kubeconfig) and service-account JWTs for the pods, which may read, not change.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Identity } from './admission';

export const ADMIN_USER = 'sidecar-lab-admin';
const ISSUER = 'https://kubernetes.default.svc.cluster.local';

interface Secrets {
  admin: string;
  signingKey: string;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

export class TokenAuthority {
  private constructor(private readonly secrets: Secrets) {}

  /** Kept in the lab's state so kubeconfigs and mounted tokens survive a restart of the host. */
  static loadOrCreate(file: string): TokenAuthority {
    if (existsSync(file)) return new TokenAuthority(JSON.parse(readFileSync(file, 'utf8')) as Secrets);
    const secrets: Secrets = { admin: randomBytes(32).toString('hex'), signingKey: randomBytes(32).toString('hex') };
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
    return new TokenAuthority(secrets);
  }

  get adminToken(): string {
    return this.secrets.admin;
  }

  private sign(text: string): string {
    return createHmac('sha256', Buffer.from(this.secrets.signingKey, 'hex')).update(text).digest('base64url');
  }

  /** A token shaped as the kubelet's projected service-account token (its claims, not its signature algorithm). */
  serviceAccountToken(namespace: string, serviceAccount: string, pod?: { name: string; uid: string }): string {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const claims = b64url(
      JSON.stringify({
        aud: [ISSUER],
        iss: ISSUER,
        iat: now,
        nbf: now,
        exp: now + 10 * 365 * 24 * 3600,
        sub: `system:serviceaccount:${namespace}:${serviceAccount}`,
        'kubernetes.io': { namespace, serviceaccount: { name: serviceAccount }, ...(pod ? { pod } : {}) },
      }),
    );
    return `${header}.${claims}.${this.sign(`${header}.${claims}`)}`;
  }

  authenticate(token: string): Identity | undefined {
    const admin = Buffer.from(this.secrets.admin);
    const given = Buffer.from(token);
    if (given.length === admin.length && timingSafeEqual(given, admin)) {
      return { user: ADMIN_USER, groups: ['system:masters', 'system:authenticated'], readOnly: false };
    }
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const expected = Buffer.from(this.sign(`${parts[0]}.${parts[1]}`));
    const signature = Buffer.from(parts[2]);
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString()) as { sub?: string; exp?: number };
      if (!claims.sub || (claims.exp ?? 0) < Date.now() / 1000) return undefined;
      const ns = claims.sub.split(':')[2] ?? '';
      return { user: claims.sub, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'], readOnly: true };
    } catch {
      return undefined;
    }
  }
}
