// Choosing a stand-in from an image name, the container's ports, command, args and environment.
import { describe, expect, it } from 'vitest';
import { parseStandinArgs, type StandinSpec } from '../../../src-pod/standin/spec';
import { findEntry, parseImageName, versionOfTag } from '../../../src-main/lab/standins/catalogue';
import { chooseStandin, standinOverride, type StandinInput } from '../../../src-main/lab/standins/choose';
import { readAddressValue, readListenHint } from '../../../src-main/lab/standins/listen-flags';

const input = (over: Partial<StandinInput>): StandinInput => ({ image: 'acme/thing:1.0', env: {}, ports: [], ...over });

/** The spec the stand-in's command line gives, as the stand-in reads it. */
function specOf(over: Partial<StandinInput>): StandinSpec {
  const c = chooseStandin(input(over));
  expect(c.entrypoint).toEqual(['standin']);
  const spec = parseStandinArgs(c.cmd);
  if (spec === 'help') throw new Error('help');
  return spec;
}

describe('the catalogue', () => {
  it('reads registry, path, tag and digest off an image name', () => {
    expect(parseImageName('registry.acme.corp:5000/platform/Orders-MySQL:8.0.36-debian@sha256:ab')).toEqual({
      base: 'orders-mysql',
      tag: '8.0.36-debian',
    });
    expect(versionOfTag('8.0.36-debian')).toBe('8.0.36');
    expect(versionOfTag('v2.4')).toBe('2.4');
    expect(versionOfTag('latest')).toBeUndefined();
  });

  it('finds an entry by the whole name or one of its parts, and nothing for unknown names', () => {
    expect(findEntry('mysql:8')?.name).toBe('mysql');
    expect(findEntry('registry.acme.corp/team/orders-mysql:5.7')?.name).toBe('mysql');
    expect(findEntry('bitnami/postgresql:16')?.name).toBe('postgres');
    expect(findEntry('curlimages/curl:8.8.0')?.name).toBe('curl client');
    expect(findEntry('acme/payments-api:2.3')).toBeUndefined();
  });
});

describe('listen flags', () => {
  it('reads address values in their usual spellings', () => {
    expect(readAddressValue('127.0.0.1')).toEqual({ host: '127.0.0.1', hostSet: true });
    expect(readAddressValue('localhost:8080')).toEqual({ host: '127.0.0.1', hostSet: true, port: 8080 });
    expect(readAddressValue(':9090')).toEqual({ hostSet: true, port: 9090 });
    expect(readAddressValue('[::1]:80')).toEqual({ host: '::1', hostSet: true, port: 80 });
    expect(readAddressValue('0.0.0.0')).toEqual({ hostSet: true });
    expect(readAddressValue('8080')).toEqual({ hostSet: false, port: 8080 });
    expect(readAddressValue('db.example')).toBeUndefined();
  });

  it('takes flags, key=value, postgres -c settings and the environment; the last flag wins', () => {
    const h = readListenHint(['postgres', '-c', 'listen_addresses=localhost', '-c', 'port=5433'], {});
    expect(h).toMatchObject({ host: '127.0.0.1', hostSet: true, port: 5433 });
    expect(readListenHint(['--bind=0.0.0.0', '--bind', '127.0.0.1'], {})).toMatchObject({ host: '127.0.0.1' });
    expect(readListenHint([], { HOST: 'localhost', PORT: '3000' })).toMatchObject({ host: '127.0.0.1', port: 3000 });
    expect(readListenHint(['ls', '-l', '/tmp'], {})).toMatchObject({ hostSet: false, said: [] });
  });
});

describe('chooseStandin', () => {
  it('plays a catalogued server on its default port, undeclared, with the tag as its version', () => {
    const spec = specOf({ image: 'registry.acme.corp/team/orders-mysql:8.0.36' });
    expect(spec.listens).toEqual([
      { protocol: 'mysql', port: 3306 },
      { protocol: 'tcp', port: 33060 },
    ]);
    expect(spec.version).toBe('8.0.36');
    expect(spec.name).toBe('registry.acme.corp/team/orders-mysql:8.0.36');
  });

  it('binds where the command says: redis --bind 127.0.0.1 --port 6380 in a shell command', () => {
    const c = chooseStandin(input({ image: 'redis:7', command: ['sh', '-c', 'redis-server --bind 127.0.0.1 --port 6380'] }));
    expect(c.mode).toBe('serve');
    expect(c.listens).toEqual([{ protocol: 'redis', host: '127.0.0.1', port: 6380 }]);
    expect(c.reason).toMatch(/catalogue: redis; read --bind 127\.0\.0\.1, --port 6380; plays redis\/127\.0\.0\.1:6380/);
  });

  it("plays an unknown image's declared ports by port name, then well-known number, else auto", () => {
    const c = chooseStandin(
      input({
        image: 'acme/orders-db:3.1',
        ports: [
          { containerPort: 3306, protocol: 'TCP' },
          { name: 'grpc-admin', containerPort: 9000, protocol: 'TCP' },
          { name: 'metrics', containerPort: 9100, protocol: 'TCP' },
          { containerPort: 53, protocol: 'UDP' },
        ],
      }),
    );
    expect(c.listens).toEqual([
      { protocol: 'mysql', port: 3306 },
      { protocol: 'grpc', port: 9000 },
      { protocol: 'auto', port: 9100 },
    ]);
    expect(c.reason).toMatch(/^not in the catalogue; plays/);
  });

  it('keeps an app bound to 127.0.0.1 there, as its --host flag says', () => {
    const spec = specOf({
      image: 'acme/payments-api:2.3',
      args: ['--host', '127.0.0.1', '--port', '8080'],
      ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    });
    expect(spec.listens).toEqual([{ protocol: 'http', host: '127.0.0.1', port: 8080 }]);
  });

  it('runs a client image’s command in the demo image, and idles one without a command', () => {
    const run = chooseStandin(input({ image: 'curlimages/curl:8.8.0', command: ['sleep', 'infinity'] }));
    expect(run).toMatchObject({ mode: 'run', entrypoint: ['standin'], cmd: ['run', '--', 'sleep', 'infinity'] });
    expect(chooseStandin(input({ image: 'busybox' }))).toMatchObject({ mode: 'idle', entrypoint: ['sleep'], cmd: ['infinity'] });
  });

  it('idles an unknown image with no ports whose program the demo image lacks, and says so', () => {
    const c = chooseStandin(input({ image: 'acme/worker:1', command: ['/app/worker', '--queue', 'orders'] }));
    expect(c).toMatchObject({ mode: 'idle', entrypoint: ['sleep'] });
    expect(c.reason).toMatch(/worker is not in the demo image: it idles/);
    expect(chooseStandin(input({ image: 'acme/job:1', command: ['sh', '-c', 'curl -s http://orders/'] })).mode).toBe('run');
  });

  it('takes passwords and Postgres auth from the official images’ settings', () => {
    expect(specOf({ image: 'postgres:16', env: { POSTGRES_PASSWORD: 's3cret' } })).toMatchObject({
      postgresAuth: 'scram-sha-256',
      password: 's3cret',
      version: '16',
    });
    expect(specOf({ image: 'postgres:16' }).postgresAuth).toBe('trust');
    expect(specOf({ image: 'redis:7', args: ['--protected-mode', 'yes'] }).protectedMode).toBe(true);
    expect(specOf({ image: 'redis:7' }).protectedMode).toBe(false);
  });
});

describe('chooseStandin for an init container', () => {
  it('runs its shell command once in the demo image', () => {
    const c = chooseStandin(input({ image: 'busybox:1.36', command: ['sh', '-c', 'until nc -z orders-db 3306; do sleep 2; done'], init: true }));
    expect(c).toMatchObject({ mode: 'run', entrypoint: ['sh'], cmd: ['-c', 'until nc -z orders-db 3306; do sleep 2; done'] });
  });

  it("calls the URLs its own program would call, once, credentials left out", () => {
    const c = chooseStandin(
      input({ image: 'acme/migrations:1.2', command: ['/app/migrate'], args: ['--db=postgresql://app:pw@orders-pg:5432/orders', 'up'], init: true }),
    );
    expect(c.mode).toBe('call');
    expect(parseStandinArgs(c.cmd)).toMatchObject({ calls: [{ scheme: 'postgres', host: 'orders-pg', port: 5432 }], restart: 'never', listens: [] });
  });

  it('exits 0 when there is nothing to play, and never serves', () => {
    const c = chooseStandin(input({ image: 'mysql:8', init: true }));
    expect(c).toMatchObject({ mode: 'run', entrypoint: ['true'], cmd: [] });
  });
});

describe('standinOverride (annotation standin.sidecarlab.dev/CONTAINER)', () => {
  it("takes the stand-in's own flags over the catalogue, named after the image", () => {
    const c = standinOverride('acme/legacy-mailer:3', ' --listen smtp/127.0.0.1:2525  --version 2.1 ');
    expect(c).toMatchObject({ mode: 'serve', listens: [{ protocol: 'smtp', host: '127.0.0.1', port: 2525 }] });
    expect(parseStandinArgs(c.cmd)).toMatchObject({ name: 'acme/legacy-mailer:3', version: '2.1' });
    expect(standinOverride('x', '--call mysql://db:3306').mode).toBe('call');
  });

  it('names the flag at fault', () => {
    expect(() => standinOverride('x', '--listen mysql/99999')).toThrow(/port must be 1-65535, got "99999"/);
    expect(() => standinOverride('x', '')).toThrow(/nothing to do/);
  });
});
