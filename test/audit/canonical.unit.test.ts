import test from 'tape';
import { encodeRecord, GENESIS_LINK, nextLink, type AuditRecord } from '../../src/audit/canonical.ts';
import { AuditKeyError, DEVELOPMENT_AUDIT_KEY, resolveAuditKeys } from '../../src/audit/key.ts';
import { checkHead, signHead } from '../../src/audit/signing.ts';

// A fixed message and the values sha256sum and openssl give for it (docs/audit.md shows how).
// If these change, every chain already kept stops verifying: change the version tag instead.
const record: AuditRecord = {
  streamName: 'identity-1',
  position: '0',
  type: 'Registered',
  data: '{"a": 1}',
  metadata: null,
  time: '2026-11-28T10:00:00.123456',
  globalPosition: '7',
  id: '00000000-0000-4000-8000-000000000001',
};
const LINK = '8b99f99a9b45c602e5ad4233b5ef1f85b0c55055293d7ba84bce9845afaa8e04';

test('audit encoding: length-prefixed UTF-8 fields in a fixed order, NULL as 0xFFFFFFFF', (t) => {
  const field = (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  };
  const expected = Buffer.concat([
    field('identity-1'),
    field('0'),
    field('Registered'),
    field('{"a": 1}'),
    Buffer.from('ffffffff', 'hex'),
    field('2026-11-28T10:00:00.123456'),
    field('7'),
    field('00000000-0000-4000-8000-000000000001'),
  ]);
  t.ok(encodeRecord(record).equals(expected), 'the bytes as documented');
  t.equal(
    GENESIS_LINK.toString('hex'),
    '45e3d43872d4ce3dd2b8a6b97f57d2c42d159b76af02c2fb4f75297698268185',
    'genesis = SHA-256 of its name',
  );
  t.equal(nextLink(GENESIS_LINK, record).toString('hex'), LINK, 'the first link of the fixed message');
  t.end();
});

test('audit encoding: no two different messages share an encoding', (t) => {
  const variants: AuditRecord[] = [
    { ...record, streamName: 'identity-10', position: '' }, // bytes moved from one field to the next
    { ...record, metadata: 'null' }, // JSON null is not SQL NULL
    { ...record, metadata: '' },
    { ...record, data: '{"a": 1.0}' },
    { ...record, time: '2026-11-28T10:00:00.123457' },
  ];
  const encodings = new Set([record, ...variants].map((variant) => encodeRecord(variant).toString('hex')));
  t.equal(encodings.size, variants.length + 1, 'all distinct');
  t.end();
});

test('audit heads: a valid signature checks; any changed field, a wrong key or an unknown key does not', (t) => {
  const key = 'k'.repeat(32);
  const head = signHead(key, {
    globalPosition: 7,
    link: Buffer.from(LINK, 'hex'),
    signedAt: new Date('2026-11-28T10:00:01.000Z'),
  });
  t.equal(
    head.hmac.toString('hex'),
    '59af6d08c8dfefb41fde9940bda65c7452ac658abe3e75d97ceac7e8bb76b5e5',
    'the HMAC openssl gives',
  );
  t.equal(checkHead([key], head), 'valid');
  t.equal(checkHead([key], { ...head, globalPosition: 8 }), 'forged', 'another position');
  t.equal(checkHead([key], { ...head, link: Buffer.alloc(32) }), 'forged', 'another link');
  t.equal(checkHead([key], { ...head, signedAt: new Date('2026-11-28T10:00:02.000Z') }), 'forged', 'another time');
  t.equal(checkHead(['x'.repeat(32)], head), 'unknown-key', 'a key that did not sign it');
  t.equal(checkHead(['new'.repeat(11), key], head), 'valid', 'a rotated-out key still checks its heads');
  t.end();
});

test('AUDIT_KEY: the development key stands in outside production; production needs real keys', (t) => {
  t.deepEqual(resolveAuditKeys({ NODE_ENV: 'development' }), {
    signing: DEVELOPMENT_AUDIT_KEY,
    accepted: [DEVELOPMENT_AUDIT_KEY],
    development: true,
  });
  t.throws(
    () => resolveAuditKeys({ NODE_ENV: 'production' }),
    (error: unknown) => error instanceof AuditKeyError && /AUDIT_KEY is missing/.test(error.message),
  );
  t.throws(() => resolveAuditKeys({ NODE_ENV: 'production', AUDIT_KEY: 'short' }), /at least 32 characters/);
  t.throws(
    () => resolveAuditKeys({ NODE_ENV: 'production', AUDIT_KEY: DEVELOPMENT_AUDIT_KEY }),
    /random keys/,
    'not the development key',
  );
  t.throws(() => resolveAuditKeys({ AUDIT_KEY: 'a,,b' }), /empty key/);
  const rotated = resolveAuditKeys({ NODE_ENV: 'production', AUDIT_KEY: ` ${'n'.repeat(32)} , ${'o'.repeat(32)} ` });
  t.deepEqual(
    [rotated.signing, rotated.accepted, rotated.development],
    ['n'.repeat(32), ['n'.repeat(32), 'o'.repeat(32)], false],
    'new,old: the first signs, both check',
  );
  t.end();
});
