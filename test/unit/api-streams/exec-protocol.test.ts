// The pure parts of the exec and port-forward protocols: the query, protocol negotiation, resize
// events split anywhere, and the Status JSON byte for byte as the kubelet writes it.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { parseExecQuery } from '../../../src-main/lab/api/streams/exec-query';
import { negotiateProtocols, negotiateStreamProtocol } from '../../../src-main/lab/api/streams/handshake';
import { parsePortsQuery } from '../../../src-main/lab/api/streams/portforward';
import { JsonObjectSplitter, parseTerminalSize } from '../../../src-main/lab/api/streams/resize';
import { exitCodeStatus, internalErrorStatus, statusJson, successStatus } from '../../../src-main/lab/api/streams/status';

describe('exec query', () => {
  it('reads the command, container and stream flags as the API server converts them', () => {
    const q = parseExecQuery('/x/exec?command=sh&command=-c&command=echo+hi&container=app&stdin=true&stdout=1&stderr=false');
    expect(q).toEqual({ command: ['sh', '-c', 'echo hi'], container: 'app', stdin: true, stdout: true, stderr: false, tty: false });
  });

  it('drops stderr under a tty and refuses a request with no stream', () => {
    expect(parseExecQuery('/x?command=sh&stdout=true&stderr=true&tty=true')).toMatchObject({ stderr: false, tty: true });
    expect(parseExecQuery('/x?command=sh')).toEqual({ error: 'you must specify at least 1 of stdin, stdout, stderr' });
  });
});

describe('protocol negotiation', () => {
  const req = (...versions: string[]): IncomingMessage =>
    ({ rawHeaders: versions.flatMap((v) => ['X-Stream-Protocol-Version', v]) }) as unknown as IncomingMessage;

  it('takes the first protocol the client lists that the server speaks', () => {
    expect(negotiateStreamProtocol(req('v4.channel.k8s.io', 'v3.channel.k8s.io'), ['v3.channel.k8s.io', 'v4.channel.k8s.io'])).toEqual({
      ok: true,
      protocol: 'v4.channel.k8s.io',
    });
  });

  it('answers 400 without the header and 403 listing the server protocols without a match', () => {
    expect(negotiateStreamProtocol(req(), ['a'])).toMatchObject({ ok: false, code: 400 });
    expect(negotiateProtocols(['x', 'y'], ['a', 'b'])).toEqual({
      ok: false,
      code: 403,
      message: 'unable to upgrade: unable to negotiate protocol: client supports [x y], server accepts [a b]',
      headers: [
        ['X-Accepted-Stream-Protocol-Versions', 'a'],
        ['X-Accepted-Stream-Protocol-Versions', 'b'],
      ],
    });
  });
});

describe('ports query', () => {
  it('accepts repeated and comma-separated ports', () => {
    expect(parsePortsQuery('/pf?ports=80,443&ports=8080')).toEqual([80, 443, 8080]);
  });

  it('names the parameter and value at fault', () => {
    expect(parsePortsQuery('/pf')).toEqual({ error: 'query parameter "ports" is required' });
    expect(parsePortsQuery('/pf?ports=')).toEqual({ error: 'query parameter "ports" cannot be empty' });
    expect(parsePortsQuery('/pf?ports=0')).toEqual({ error: 'port "0" must be > 0' });
    expect(parsePortsQuery('/pf?ports=80,http')).toMatchObject({ error: expect.stringContaining('unable to parse "80,http" as a port') });
    expect(parsePortsQuery('/pf?ports=70000')).toMatchObject({ error: expect.stringContaining('unable to parse "70000"') });
  });
});

describe('resize events', () => {
  it('splits concatenated JSON objects however the bytes arrive', () => {
    const text = '{"Width":80,"Height":24}{"width":100, "height":30}\n{"Width":1,"Height":"}"}';
    for (let step = 1; step <= text.length; step++) {
      const splitter = new JsonObjectSplitter();
      const objects: string[] = [];
      for (let at = 0; at < text.length; at += step) objects.push(...splitter.push(text.slice(at, at + step)));
      expect(objects).toEqual(['{"Width":80,"Height":24}', '{"width":100, "height":30}', '{"Width":1,"Height":"}"}']);
    }
  });

  it('reads sizes case-insensitively and rejects what is not a uint16 size', () => {
    expect(parseTerminalSize('{"width":100,"HEIGHT":30}')).toEqual({ width: 100, height: 30 });
    expect(parseTerminalSize('{"Width":1,"Height":"}"}')).toBeUndefined();
    expect(parseTerminalSize('{"Width":70000,"Height":1}')).toBeUndefined();
    expect(parseTerminalSize('not json')).toBeUndefined();
  });
});

describe('Status JSON', () => {
  it('is written with Go encoding/json field order and omitted empties', () => {
    expect(statusJson(successStatus())).toBe('{"metadata":{},"status":"Success"}');
    expect(statusJson(exitCodeStatus(3, 'error executing command [sh -c exit 3], exit code 3'))).toBe(
      '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}',
    );
    expect(statusJson(internalErrorStatus('boom'))).toBe(
      '{"metadata":{},"status":"Failure","message":"Internal error occurred: boom","reason":"InternalError","details":{"causes":[{"message":"boom"}]},"code":500}',
    );
  });
});
