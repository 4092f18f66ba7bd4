/**
 * The layout is the architecture: each folder of src/ is one layer, and imports only run downward (or
 * within a folder). Workflow code imports nothing that does I/O, and activities never import workflows.
 * The table below is the one in README's "Layout"; a new folder must be placed in it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..');

/** Lower layers first. A module may import from its own layer's folder or from a lower layer. */
const LAYERS: Record<string, number> = {
  'src/chain': 0,
  'src/provider': 1,
  'src/media': 1,
  'src/http': 1,
  'src/temporal': 1,
  'src/config': 2,
  'src/activities': 3,
  'src/simulator': 3,
  'src/workflows': 4,
  'src/receiver': 5,
  'src/client': 5,
  'src/worker.ts': 6,
  'src/starter.ts': 6,
  'src/cli': 7,
  tools: 8,
};

function layerOf(file: string): string {
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  const key = Object.keys(LAYERS)
    .filter((k) => rel === k || rel.startsWith(`${k}/`))
    .sort((a, b) => b.length - a.length)[0];
  if (!key) throw new Error(`${rel} is in no layer: add its folder to LAYERS (and to README's layout)`);
  return key;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports (static, `export … from`, dynamic, require) of a file, with whether they are type-only. */
function importsOf(file: string): { target: string; typeOnly: boolean; spec: string }[] {
  const text = readFileSync(file, 'utf8');
  const found: { target: string; typeOnly: boolean; spec: string }[] = [];
  const pattern =
    /(?:^|\n)\s*(import|export)(\s+type)?[^'";]*?from\s+'([^']+)'|(?:import|require)\(\s*'([^']+)'\s*\)|(?:^|\n)\s*import\s+'([^']+)'/g;
  for (const m of text.matchAll(pattern)) {
    const spec = m[3] ?? m[4] ?? m[5]!;
    if (!spec.startsWith('.')) {
      found.push({ target: spec, typeOnly: Boolean(m[2]), spec });
      continue;
    }
    found.push({ target: path.resolve(path.dirname(file), spec), typeOnly: Boolean(m[2]), spec });
  }
  return found;
}

const files = [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'tools'))];

test('every source file belongs to a layer', () => {
  for (const f of files) expect(() => layerOf(f)).not.toThrow();
});

test('imports run downward only: no module imports a higher layer or a sibling folder of its own layer', () => {
  const wrong: string[] = [];
  for (const file of files) {
    const from = layerOf(file);
    for (const { target, spec } of importsOf(file)) {
      if (!path.isAbsolute(target)) continue;
      const to = layerOf(existsSync(target) ? path.join(target, 'index.ts') : `${target}.ts`);
      if (to === from) continue;
      if (LAYERS[to]! >= LAYERS[from]!)
        wrong.push(`${path.relative(ROOT, file)} → ${spec} (${from} → ${to})`);
    }
  }
  expect(wrong).toEqual([]);
});

test('workflow code does no I/O and loads no schema library: only the domain, the workflows folder, activity types and Temporal', () => {
  const wrong: string[] = [];
  for (const file of files.filter((f) => layerOf(f) === 'src/workflows')) {
    for (const { target, typeOnly, spec } of importsOf(file)) {
      const rel = path.isAbsolute(target) ? path.relative(ROOT, target).split(path.sep).join('/') : target;
      const allowed =
        rel.startsWith('src/chain/') ||
        rel.startsWith('src/workflows/') ||
        (rel.startsWith('src/activities/') && typeOnly) ||
        rel === '@temporalio/workflow';
      if (!allowed) wrong.push(`${path.relative(ROOT, file)} imports ${spec}${typeOnly ? ' (type)' : ''}`);
    }
  }
  expect(wrong).toEqual([]);
});

test('the domain (src/chain) does no I/O: no node: modules, no Temporal client or worker', () => {
  const wrong = files
    .filter((f) => layerOf(f) === 'src/chain')
    .flatMap((file) =>
      importsOf(file)
        .filter(({ target }) => /^(node:|@temporalio\/(client|worker|activity))/.test(target))
        .map(({ spec }) => `${path.relative(ROOT, file)} imports ${spec}`),
    );
  expect(wrong).toEqual([]);
});

test("README's layout lists every folder of src/ with its layer, and nothing that is gone", () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('## Layout'),
    readme.indexOf('\n## ', readme.indexOf('## Layout') + 1),
  );
  const listed = [...section.matchAll(/^\| (\d+|—) +\| `([^`]+)`/gm)].map((m) => ({
    layer: m[1]!,
    path: m[2]!.replace(/\/$/, ''),
  }));
  const layered = Object.keys(LAYERS).filter((k) => k !== 'tools');
  expect(listed.filter((l) => l.layer !== '—').map((l) => [l.path, Number(l.layer)])).toEqual(
    layered.map((k) => [k, LAYERS[k]]),
  );
  const inTree = readdirSync(path.join(ROOT, 'src')).map((name) => `src/${name}`);
  expect(inTree.sort()).toEqual(layered.sort());
});
