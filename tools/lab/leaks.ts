/**
 * Where a secret (the API key, the callback secret) could leak, and how to find it: plain, URL-encoded,
 * and base64/base64url at each of the three byte alignments, since a secret inside a larger encoded value
 * (a Temporal payload in a history export) starts anywhere in a 3-byte group.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { type Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

export function leakForms(secret: string): { form: string; text: string }[] {
  const forms = [
    { form: 'plain', text: secret },
    { form: 'URL-encoded', text: encodeURIComponent(secret) },
  ];
  for (const shift of [0, 1, 2]) {
    const bytes = Buffer.concat([Buffer.alloc(shift), Buffer.from(secret)]);
    const encoded = bytes.toString('base64');
    // Only the characters that depend on the secret alone.
    const middle = encoded.slice(shift === 0 ? 0 : 4, Math.floor(bytes.length / 3) * 4);
    forms.push({ form: `base64@${shift}`, text: middle });
    forms.push({ form: `base64url@${shift}`, text: middle.replace(/\+/g, '-').replace(/\//g, '_') });
  }
  return forms;
}

/** Which forms of which needles occur in `text`, e.g. ["API key as base64@1"]. */
export function findLeaks(text: string, needles: Record<string, string>): string[] {
  return Object.entries(needles).flatMap(([name, needle]) =>
    leakForms(needle)
      .filter((f) => text.includes(f.text))
      .map((f) => `${name} as ${f.form}`),
  );
}

/** Every workflow history in the client's namespace, as the JSON `temporal workflow show` exports. */
export async function exportHistories(client: Client): Promise<{ source: string; text: string }[]> {
  const exported: { source: string; text: string }[] = [];
  for await (const wf of client.workflow.list()) {
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    exported.push({ source: `history of ${wf.workflowId} (${wf.runId})`, text: historyToJSON(history) });
  }
  return exported;
}

/** Every file under `dir`, as text (binary files too: a secret written into one still shows). */
export function filesUnder(dir: string): { source: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      return { source: file, text: readFileSync(file, 'latin1') };
    });
}
