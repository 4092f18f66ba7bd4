/**
 * One folder per chain: `folderName` maps every workflow id to its own folder (two ids never share one,
 * so one chain never overwrites another's deliverables), never a path outside the output folder, and a
 * plain id is its own folder name.
 */
import path from 'node:path';
import fc from 'fast-check';
import { LocalFolderStorage, folderName } from '../src/media/storage';

const ROOT = path.resolve('/srv/output');

/** Ids of every kind: plain, with the characters that used to collide, any Unicode, long ones. */
const anyId = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._-]{1,30}$/),
  fc.string({ unit: fc.constantFrom('a', '_', '/', '.', '%', '~', '\\', ' ', 'é', '2', 'F'), maxLength: 12 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
  fc
    .tuple(fc.constantFrom('x'.repeat(300), '/'.repeat(120), 'é'.repeat(150)), fc.string({ maxLength: 5 }))
    .map(([head, tail]) => head + tail),
);

test('distinct ids get distinct folders (the old a/b and a_b collision among them)', () => {
  for (const [a, b] of [
    ['a/b', 'a_b'],
    ['a b', 'a_b'],
    ['.x', '_x'],
    ['..', '_.'],
    ['a%2Fb', 'a/b'],
    ['a~b', 'a%7Eb'],
    ['x'.repeat(300), `${'x'.repeat(300)}y`],
    ['x'.repeat(199) + '/', 'x'.repeat(199) + '_'],
  ] as Array<[string, string]>) {
    expect([a, folderName(a)]).not.toEqual([a, folderName(b)]);
  }
  fc.assert(
    fc.property(anyId, anyId, (a, b) => a === b || folderName(a) !== folderName(b)),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.uniqueArray(anyId, { minLength: 2, maxLength: 40 }), (ids) => {
      expect(new Set(ids.map(folderName)).size).toBe(ids.length);
    }),
  );
});

test('a folder is one plain path component inside the output folder, of a length file systems take', () => {
  const storage = new LocalFolderStorage(ROOT);
  fc.assert(
    fc.property(anyId, (id) => {
      const name = folderName(id);
      expect(name).toMatch(/^[A-Za-z0-9_%~-][A-Za-z0-9._%~-]*$/); // no separators, no leading dot
      expect(name).not.toMatch(/^\.\.?$/);
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
      const file = storage.localPath(id, 'final.mp4');
      expect(path.dirname(path.dirname(file))).toBe(ROOT);
      expect(path.basename(path.dirname(file))).toBe(name);
    }),
    { numRuns: 3000 },
  );
  for (const id of ['..', '.', '../../etc', '/etc/passwd', 'wf/../x', '.hidden', '\\..\\x', '\0']) {
    expect(path.dirname(storage.localPath(id, 'manifest.json')).startsWith(`${ROOT}${path.sep}`)).toBe(true);
    expect(folderName(id).startsWith('.')).toBe(false);
  }
});

test('plain ids keep their own name; others are readable escapes', () => {
  for (const id of ['dv-4', 'cli-yaml', 'long-video-20250101120000-a1b2c3', 'a.b_c-D9', 'x.']) {
    expect(folderName(id)).toBe(id);
  }
  fc.assert(
    fc.property(fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/), (id) => {
      expect(folderName(id)).toBe(id);
    }),
  );
  expect(folderName('a/b')).toBe('a%2Fb');
  expect(folderName('a_b')).toBe('a_b');
  expect(folderName('..')).toBe('%2E.');
  expect(folderName('wf/../x')).toBe('wf%2F..%2Fx');
  expect(folderName('café 2')).toBe('caf%C3%A9%202');
  const long = folderName('x'.repeat(1000));
  expect(long).toMatch(/^x{150,}~[0-9a-f]{32}$/);
});
