// Tests for src/transport/known-hosts.ts: parsing and matching known_hosts (plain, [host]:port, lists, wildcards, hashed) and host key verdicts.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { execa } from 'execa';
import {
  appendKnownHost,
  checkHostKey,
  describeHostKey,
  entryMatchesHost,
  keyBlobType,
  knownHostName,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  readKnownHosts,
  wildcardMatch,
} from '../../src/transport/known-hosts.js';

// Real keys: the test sshd's host key (SHA256:HYWAguVa…), another ed25519 key and an RSA key,
// fingerprints as printed by `ssh-keygen -lf`.
const HOST = 'AAAAC3NzaC1lZDI1NTE5AAAAIBsK9OWEwEpaSJwpAymZ96LHvhYUcT88XhUdXLf6sKo2';
const HOST_FP = 'ED25519 SHA256:HYWAguVaZ+NpawhtMu5WhMzHvRzYoUCo0cYu4xiKadY';
const OTHER = 'AAAAC3NzaC1lZDI1NTE5AAAAIDzIc4kaFQMrykM6I8p0qnFG2ZdKkTyPVso//gq8erau';
const OTHER_FP = 'ED25519 SHA256:a4VLkA4emuEk+JCXAEx22ijSnYmQs+rgsBQRTMzhelE';
const RSA =
  'AAAAB3NzaC1yc2EAAAADAQABAAABAQDF2dyCO/asqSkgEp+uB9nE8rMY7h3CcqfcMGnPmGKW4A6SD7jjDxP5ZCBW6nkRbIhOyGBBJ6AHarkB0TPbzkF4Yjl3xOs/src2xAScmfXKiFHp1i+mfeodVa3ZLCXAim2ND8/f+H8ODkcUCrHGKJHzOqxLLYKeTSih5La9pAZIhbyv2IR+bivXNwVAtXhaKCRDfEH/HpJIduPTR1Z5t67DaZ2kCnzjVDGnG5UFKiAvRm8UnrUQlDLO/hyMJNACzGyVIWYQKJivOlF2MJT5vT791YcNUkrFIrjU+Sa67XBX6U5mYM5WBe/GMtEZ7b6bxaIwgsW6ZoHpQ02KNZHC5Kt3';
const RSA_FP = 'RSA SHA256:+uq6g/4M7yFt5nniTeXP2R82fD1cx+2m4o/n9UJALs8';
const blob = (b64: string) => Buffer.from(b64, 'base64');

// `ssh-keygen -H -f` output for "[127.0.0.1]:2222", "login.example.org" and "10.0.0.5" (in that order).
const HASHED = `|1|62bDbZos8MR7QsnjPQZgjUQrjLI=|K/lHucVO4Cx7K/gGgmwkfLIjAIw= ssh-ed25519 ${HOST}
|1|SDdF+OLuTQ0LdJhxaRWxuuYUR+U=|QEzH1PiGgXUhKSOY0JgWEDgoWBk= ssh-ed25519 ${HOST}
|1|D2bkQ2KVVyFvYfSPwnixe+N5uyw=|dNGcswFVUNxf1Vm8B7VW5FPNfOo= ssh-ed25519 ${HOST}
`;

t.test('knownHostName: bare on port 22, [host]:port otherwise, lower-cased', async (t) => {
  t.equal(knownHostName('Login.Example.org', 22), 'login.example.org');
  t.equal(knownHostName('127.0.0.1', 2222), '[127.0.0.1]:2222');
});

t.test('parseKnownHosts: plain, lists, markers, comments and junk', async (t) => {
  const text = `# comment

login1,login2.example.org,10.1.2.3 ssh-ed25519 ${HOST} comment words
[127.0.0.1]:2222 ssh-ed25519 ${HOST}
@revoked * ssh-ed25519 ${OTHER}
@cert-authority *.example.org ssh-rsa ${RSA}
@bogus host ssh-ed25519 ${HOST}
half-a-line ssh-ed25519
${HASHED.split('\n')[0]}
`;
  const e = parseKnownHosts(text, '/kh');
  t.same(
    e.map((x) => [x.line, x.marker ?? '', x.patterns ?? 'hashed', x.keyType]),
    [
      [3, '', ['login1', 'login2.example.org', '10.1.2.3'], 'ssh-ed25519'],
      [4, '', ['[127.0.0.1]:2222'], 'ssh-ed25519'],
      [5, 'revoked', ['*'], 'ssh-ed25519'],
      [6, 'cert-authority', ['*.example.org'], 'ssh-rsa'],
      [9, '', 'hashed', 'ssh-ed25519'],
    ],
  );
  t.equal(e[0].key, HOST);
  t.equal(e[0].file, '/kh');
});

t.test('wildcardMatch: * and ?, case-insensitive, brackets literal', async (t) => {
  t.ok(wildcardMatch('*.example.org', 'login.EXAMPLE.org'));
  t.notOk(wildcardMatch('*.example.org', 'example.org'));
  t.ok(wildcardMatch('login?', 'login3'));
  t.notOk(wildcardMatch('login?', 'login12'));
  t.ok(wildcardMatch('[127.0.0.1]:2222', '[127.0.0.1]:2222'));
  t.notOk(wildcardMatch('[127.0.0.1]:2222', '1'));
  t.ok(wildcardMatch('[*]:2222', '[10.0.0.1]:2222'));
  t.notOk(wildcardMatch('127.0.0.1', '127x0x0x1'), 'dots are literal');
});

t.test('entryMatchesHost: lists, port form, negation, hashed', async (t) => {
  const [list, port, neg] = parseKnownHosts(
    `a.example.org,b.example.org ssh-ed25519 ${HOST}\n[127.0.0.1]:2222 ssh-ed25519 ${HOST}\n*.example.org,!bad.example.org ssh-ed25519 ${HOST}\n`,
    'kh',
  );
  t.ok(entryMatchesHost(list, 'b.example.org'));
  t.notOk(entryMatchesHost(list, 'c.example.org'));
  t.ok(entryMatchesHost(port, knownHostName('127.0.0.1', 2222)));
  t.notOk(entryMatchesHost(port, knownHostName('127.0.0.1', 22)), 'port 22 looks up the bare name');
  t.ok(entryMatchesHost(neg, 'good.example.org'));
  t.notOk(entryMatchesHost(neg, 'bad.example.org'), '!pattern vetoes');

  const hashed = parseKnownHosts(HASHED, 'kh');
  t.ok(entryMatchesHost(hashed[0], '[127.0.0.1]:2222'));
  t.notOk(entryMatchesHost(hashed[0], '127.0.0.1'));
  t.ok(entryMatchesHost(hashed[1], 'login.example.org'));
  t.ok(entryMatchesHost(hashed[2], '10.0.0.5'));
  t.notOk(entryMatchesHost(hashed[2], '10.0.0.6'));
});

t.test('entryMatchesHost: entries hashed by ssh-keygen -H just now', async (t) => {
  const dir = t.testdir({ known_hosts: `[login.example.org]:2200 ssh-ed25519 ${HOST}\ncluster.example.org,192.0.2.7 ssh-rsa ${RSA}\n` });
  const file = join(dir, 'known_hosts');
  const r = await execa('ssh-keygen', ['-H', '-f', file], { reject: false });
  if ((r as { code?: string }).code === 'ENOENT') {
    t.plan(0, 'ssh-keygen is not installed');
    return;
  }
  t.equal(r.exitCode, 0, r.stderr);
  const entries = parseKnownHosts(await readFile(file, 'utf8'), file);
  t.equal(entries.length, 3, 'one hashed line per host name');
  t.ok(entries.every((e) => e.hashed && !e.patterns));
  t.equal(checkHostKey(entries, knownHostName('login.example.org', 2200), blob(HOST)).status, 'known');
  t.equal(checkHostKey(entries, knownHostName('login.example.org', 22), blob(HOST)).status, 'unknown');
  t.equal(checkHostKey(entries, '192.0.2.7', blob(RSA)).status, 'known');
  t.equal(checkHostKey(entries, 'cluster.example.org', blob(RSA)).status, 'known');
  t.equal(checkHostKey(entries, 'cluster.example.org', blob(RSA.replace('C5Kt3', 'C5Kt4'))).status, 'changed');
});

t.test('checkHostKey: known, unknown, changed, other type only, revoked', async (t) => {
  const entries = parseKnownHosts(
    `[127.0.0.1]:2222 ssh-ed25519 ${HOST}
rsa-only.example.org ssh-rsa ${RSA}
@revoked * ssh-ed25519 ${OTHER}
@cert-authority * ssh-ed25519 ${HOST}
`,
    '/home/u/.ssh/known_hosts',
  );
  const name = '[127.0.0.1]:2222';
  t.match(checkHostKey(entries, name, blob(HOST)), { status: 'known', entry: { line: 1 } });
  t.match(checkHostKey(entries, 'new.example.org', blob(HOST)), { status: 'unknown', otherTypes: [] });

  const changedKey = parseKnownHosts(`[127.0.0.1]:2222 ssh-ed25519 ${OTHER.replace('erau', 'erav')}\n`, 'kh2');
  t.match(checkHostKey(changedKey, name, blob(HOST)), { status: 'changed', entry: { file: 'kh2', line: 1 } });

  const other = checkHostKey(entries, 'rsa-only.example.org', blob(HOST));
  t.equal(other.status, 'unknown', 'a key of another type is not a changed key');
  t.match(other, { otherTypes: [{ keyType: 'ssh-rsa', line: 2 }] });

  t.match(checkHostKey(entries, 'anything', blob(OTHER)), { status: 'revoked', entry: { line: 3 } });
  t.equal(checkHostKey(entries, 'cert.example.org', blob(HOST)).status, 'unknown', '@cert-authority lines never vouch for a plain key');
});

t.test('describeHostKey matches ssh-keygen -l', async (t) => {
  t.equal(describeHostKey(blob(HOST)), HOST_FP);
  t.equal(describeHostKey(blob(OTHER)), OTHER_FP);
  t.equal(describeHostKey(blob(RSA)), RSA_FP);
  t.equal(keyBlobType(blob(RSA)), 'ssh-rsa');
  t.equal(keyBlobType(Buffer.from([0, 0])), undefined);
});

t.test('preferredHostKeyAlgorithms: known types first, RSA as its SHA-2 variants', async (t) => {
  const entries = parseKnownHosts(`h ssh-rsa ${RSA}\nh ssh-ed25519 ${HOST}\nx ssh-ed25519 ${OTHER}\n`, 'kh');
  t.same(preferredHostKeyAlgorithms(entries, 'h'), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
  t.same(preferredHostKeyAlgorithms(entries, 'nobody'), []);
});

t.test('readKnownHosts + appendKnownHost: missing files are empty, appended lines are found', async (t) => {
  const dir = t.testdir({ a: `h1 ssh-ed25519 ${HOST}\n` });
  t.same(await readKnownHosts([join(dir, 'missing')]), []);
  const target = join(dir, 'sub', 'known_hosts');
  await appendKnownHost(target, '[127.0.0.1]:2222', blob(HOST));
  await writeFile(join(dir, 'b'), '');
  const all = await readKnownHosts([join(dir, 'a'), join(dir, 'b'), target]);
  t.same(
    all.map((e) => [e.file.slice(dir.length), e.line]),
    [
      ['/a', 1],
      ['/sub/known_hosts', 1],
    ],
  );
  t.equal(await readFile(target, 'utf8'), `[127.0.0.1]:2222 ssh-ed25519 ${HOST}\n`);
  t.equal(checkHostKey(all, '[127.0.0.1]:2222', blob(HOST)).status, 'known');
});
