/**
 * `@loopwind/sdk/node`: what needs Node's file system, kept out of the main entry so that entry
 * also runs in browsers and Workers. (Deno and Bun run it too: they implement node:fs.)
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Loopwind, PublishOptions } from './client.js';
import { BadRequest } from './errors.js';

/** Folders and files a template folder never sends (the CLI skips the same). */
const SKIP_NAMES = new Set(['.git', '.loopwind', '__pycache__', 'node_modules', '.DS_Store']);

/** A template folder's files as `{ 'relative/path': bytes }`, hidden files and tool folders left out;
 * BadRequest `no_manifest` when the folder has no loopwind.json. */
export async function readTemplateFolder(folder: string): Promise<Record<string, Uint8Array>> {
  const manifest = await stat(join(folder, 'loopwind.json')).catch(() => undefined);
  if (!manifest?.isFile()) {
    throw new BadRequest(`No loopwind.json in ${folder}: not a template folder.`, { code: 'no_manifest' });
  }
  const files: Record<string, Uint8Array> = {};
  async function walk(dir: string) {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (SKIP_NAMES.has(entry.name) || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files[relative(folder, path).split(sep).join('/')] = new Uint8Array(await readFile(path));
    }
  }
  await walk(folder);
  return files;
}

/** Publish the template in `folder` (the same as `lw.templates.publish(await readTemplateFolder(folder), options)`). */
export async function publishFolder(lw: Loopwind, folder: string, options: PublishOptions = {}) {
  return lw.templates.publish(await readTemplateFolder(folder), options);
}
