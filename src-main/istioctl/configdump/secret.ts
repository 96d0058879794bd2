// `proxy-config secret`: istioctl's secret table (istioctl/pkg/writer/compare/sds) from the certificates in an Envoy config dump.
import { X509Certificate } from 'node:crypto';
import { tabulate } from '../go/tabwriter';
import { SECTION, type ConfigDump } from './dump';
import { arr, obj, str } from './json';

interface SecretItem {
  name: string;
  state: string;
  type: string;
  valid: boolean;
  serial: string;
  notAfter: string;
  notBefore: string;
}

/** Go's time.Format(time.RFC3339) of a UTC time: no fractional seconds, `Z`. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Go prints `%x` of the serial's big-endian bytes: two digits a byte, leading zero bytes dropped. */
function serialHex(nodeSerial: string): string {
  let hex = nodeSerial.toLowerCase();
  if (hex.length % 2 === 1) hex = `0${hex}`;
  while (hex.startsWith('00')) hex = hex.slice(2);
  return hex;
}

function inlineBytes(source: unknown): string {
  const v = str(source, 'inline_bytes');
  return v === '' ? '' : Buffer.from(v, 'base64').toString('latin1');
}

function secretItem(entry: unknown, state: string, now: Date): SecretItem {
  const secret = obj(entry, 'secret');
  const chain = inlineBytes(obj(obj(secret, 'tls_certificate'), 'certificate_chain'));
  const ca = inlineBytes(obj(obj(secret, 'validation_context'), 'trusted_ca'));
  const data = chain !== '' ? chain : ca;
  const item: SecretItem = { name: str(entry, 'name'), state, type: '', valid: false, serial: '', notAfter: '', notBefore: '' };
  if (data === '') return item;
  let cert: X509Certificate;
  try {
    // Like Go's pem.Decode, only the first certificate of a chain is read.
    const first = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(data);
    if (!first) return item;
    cert = new X509Certificate(first[0]);
  } catch {
    return item;
  }
  const notAfter = new Date(cert.validTo);
  const notBefore = new Date(cert.validFrom);
  item.type = cert.ca ? 'CA' : 'Cert Chain';
  item.serial = serialHex(cert.serialNumber);
  item.notAfter = rfc3339(notAfter);
  item.notBefore = rfc3339(notBefore);
  item.valid = now > notBefore && now < notAfter;
  return item;
}

/** Warming secrets first, then active ones, as istioctl lists them; `now` decides VALID CERT. */
export function printSecretSummary(dump: ConfigDump, withType = false, now = new Date()): string {
  const section = dump.section(SECTION.secrets);
  const warming = arr(section, 'dynamic_warming_secrets');
  const active = arr(section, 'dynamic_active_secrets');
  if (warming.length === 0 && active.length === 0) return 'No active or warming secrets found.\n';
  const items = [...warming.map((s) => secretItem(s, 'WARMING', now)), ...active.map((s) => secretItem(s, 'ACTIVE', now))];
  let text = 'RESOURCE NAME\tTYPE\tSTATUS\tVALID CERT\tSERIAL NUMBER\tNOT AFTER\tNOT BEFORE\n';
  for (const s of items) {
    const name = withType ? `secret/${s.name}` : s.name;
    text += `${name}\t${s.type}\t${s.state}\t${s.valid}\t${s.serial}\t${s.notAfter}\t${s.notBefore}\n`;
  }
  return tabulate(text, 0, 8, 5, ' ', 0);
}
