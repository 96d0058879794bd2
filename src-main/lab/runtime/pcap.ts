// Packets on demand: tcpdump in a pod's tap for a few seconds, as a .pcap file Wireshark opens.
import type Docker from 'dockerode';
import { execInRaw } from './docker-ops';

/** pcap's magic number, in either byte order (tcpdump writes the host's). */
const PCAP_MAGIC = [0xa1b2c3d4, 0xd4c3b2a1];

export async function capturePackets(docker: Docker, tapContainer: string, seconds: number): Promise<Buffer> {
  const result = await execInRaw(docker, docker.getContainer(tapContainer), [
    'timeout',
    String(seconds),
    'tcpdump',
    '-i',
    'any',
    '-U',
    '-w',
    '-',
  ]);
  // `timeout` ends tcpdump on purpose: 124 is the normal end of a capture.
  const header = result.stdout.length >= 24 ? result.stdout.readUInt32LE(0) : 0;
  if ((result.exitCode !== 0 && result.exitCode !== 124) || !PCAP_MAGIC.includes(header)) {
    throw new Error(`packet capture in ${tapContainer} failed (exit ${result.exitCode}): ${result.stderr.toString().trim()}`);
  }
  return result.stdout;
}
