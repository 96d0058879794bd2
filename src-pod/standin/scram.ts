// The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as Postgres uses it: no channel binding, any user name.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

const ITERATIONS = 4096;

export interface ScramServer {
  /** Takes client-first-message, returns server-first-message. */
  first(clientFirst: string): string;
  /** Takes client-final-message; returns server-final-message (`v=…`), or undefined for a wrong proof. */
  final(clientFinal: string): string | undefined;
}

const hmac = (key: Buffer, text: string): Buffer => createHmac('sha256', key).update(text).digest();
const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

export function scramServer(password: string, salt = randomBytes(16), serverNonce = randomBytes(18).toString('base64')): ScramServer {
  let clientFirstBare = '';
  let serverFirst = '';
  let nonce = '';
  const salted = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256');
  return {
    first(clientFirst) {
      // gs2 header: "n,," (no channel binding) or "y,,"; the bare part follows the second comma.
      const second = clientFirst.indexOf(',', clientFirst.indexOf(',') + 1);
      clientFirstBare = clientFirst.slice(second + 1);
      nonce = (attributes(clientFirstBare).get('r') ?? '') + serverNonce;
      serverFirst = `r=${nonce},s=${salt.toString('base64')},i=${ITERATIONS}`;
      return serverFirst;
    },
    final(clientFinal) {
      const proofAt = clientFinal.lastIndexOf(',p=');
      if (proofAt === -1) return undefined;
      const withoutProof = clientFinal.slice(0, proofAt);
      if (attributes(withoutProof).get('r') !== nonce) return undefined;
      const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
      const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
      const storedKey = sha256(hmac(salted, 'Client Key'));
      const signature = hmac(storedKey, authMessage);
      if (proof.length !== signature.length) return undefined;
      const clientKey = Buffer.from(proof.map((b, i) => b ^ signature[i]));
      if (!timingSafeEqual(sha256(clientKey), storedKey)) return undefined;
      return `v=${hmac(hmac(salted, 'Server Key'), authMessage).toString('base64')}`;
    },
  };
}
