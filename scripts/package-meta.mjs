// The project's public address lives in one place: the root package.json's `repository.url`.
// This writes what follows from it into each published package (every packages/* not private):
// `repository` (with `directory`), `homepage` and `bugs` in its package.json, the absolute links
// at the end of its README (a registry page cannot follow relative ones), and its LICENSE (the root's).
//
//   node scripts/package-meta.mjs            write them
//   node scripts/package-meta.mjs --check    list what differs and exit 1 (nothing is written)
//   --root DIR                               another checkout (default: this one)
//
// A README links into the repository with reference links whose label is a path from the
// repository's root, `[the server guide][docs/server.md]` or `[docs/server.md][]`; the definitions
// go below the marker line, one per path used, and a path that does not exist is an error.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BRANCH = 'main';
export const LINKS_MARKER =
  "<!-- Links below are written by `pnpm packages:meta` from the root package.json's repository; do not edit. -->";

/** `https://host/owner/name` from a `git+https://host/owner/name.git` repository URL. */
export function webAddress(repositoryUrl) {
  const web = repositoryUrl.replace(/^git\+/, '').replace(/\.git$/, '');
  if (!/^https:\/\/[^/]+\/.+[^/]$/.test(web)) {
    throw new Error(
      `the root package.json's repository.url is not an https repository URL: ${repositoryUrl}`,
    );
  }
  return web;
}

/** Every file this script owns, as `{ path, expected, actual }` (actual undefined when absent). */
export function plannedFiles(root) {
  const rootPackage = readJson(join(root, 'package.json'));
  const repositoryUrl = rootPackage.repository?.url;
  if (typeof repositoryUrl !== 'string') throw new Error('the root package.json has no repository.url');
  const web = webAddress(repositoryUrl);
  const license = readFileSync(join(root, 'LICENSE'), 'utf8');
  const files = [];
  for (const directory of publishedPackages(root)) {
    const manifestPath = join(directory, 'package.json');
    const manifest = readJson(join(root, manifestPath));
    const meta = {
      homepage: `${web}/tree/${BRANCH}/${directory}#readme`,
      bugs: { url: `${web}/issues` },
      repository: { type: 'git', url: `git+${web}.git`, directory },
    };
    files.push(planned(root, manifestPath, `${JSON.stringify(withMeta(manifest, meta), null, 2)}\n`));
    const readmePath = join(directory, 'README.md');
    files.push(planned(root, readmePath, withLinks(root, readmePath, web)));
    files.push(planned(root, join(directory, 'LICENSE'), license));
  }
  return files;
}

function publishedPackages(root) {
  return readdirSync(join(root, 'packages'))
    .map((name) => `packages/${name}`)
    .filter((directory) => {
      const manifest = join(root, directory, 'package.json');
      return existsSync(manifest) && readJson(manifest).private !== true;
    })
    .sort();
}

/** The manifest with the three fields set, right after `license` (or at the end). */
function withMeta(manifest, meta) {
  const rest = Object.entries(manifest).filter(([key]) => !(key in meta));
  const at = rest.findIndex(([key]) => key === 'license') + 1 || rest.length;
  return Object.fromEntries([...rest.slice(0, at), ...Object.entries(meta), ...rest.slice(at)]);
}

/** The README with its link definitions written from the paths its body uses. */
function withLinks(root, readmePath, web) {
  const text = readFileSync(join(root, readmePath), 'utf8');
  const markerAt = text.indexOf(LINKS_MARKER);
  const body = (markerAt === -1 ? text : text.slice(0, markerAt)).trimEnd();
  // Code blocks hold brackets that are not links (`row[0][1]`).
  const prose = body.replace(/```[\s\S]*?```/g, '');
  const relative = prose.match(/\]\((?!https?:|#)[^)]*\)/);
  if (relative) {
    throw new Error(
      `${readmePath}: a relative link ${relative[0]} is dead on the registry page; use [text][path]`,
    );
  }
  const labels = new Set();
  for (const [, text, label] of prose.matchAll(/\[([^\]]+)\]\[([^\]]*)\]/g)) labels.add(label || text);
  if (labels.size === 0) return `${body}\n`;
  const definitions = [...labels].sort().map((path) => `[${path}]: ${linkTo(root, readmePath, web, path)}`);
  return `${body}\n\n${LINKS_MARKER}\n\n${definitions.join('\n')}\n`;
}

function linkTo(root, readmePath, web, path) {
  const [file, anchor] = path.split('#');
  if (!existsSync(join(root, file)))
    throw new Error(`${readmePath} links ${path}, which is not in the repository`);
  if (anchor !== undefined && !headingSlugs(join(root, file)).has(anchor)) {
    throw new Error(`${readmePath} links ${path}, but ${file} has no such heading`);
  }
  if (file === 'README.md') return `${web}#${anchor ?? 'readme'}`;
  const kind = statSync(join(root, file)).isDirectory() ? 'tree' : 'blob';
  return `${web}/${kind}/${BRANCH}/${file}${anchor === undefined ? '' : `#${anchor}`}`;
}

/** The anchors a repository host gives a Markdown file's headings. */
function headingSlugs(file) {
  const headings = readFileSync(file, 'utf8').matchAll(/^#+ (.+)$/gm);
  return new Set(
    [...headings].map(([, heading]) =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\- ]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

function planned(root, path, expected) {
  const full = join(root, path);
  return { path, expected, actual: existsSync(full) ? readFileSync(full, 'utf8') : undefined };
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { check: { type: 'boolean' }, root: { type: 'string' } } });
  const root = values.root ?? fileURLToPath(new URL('..', import.meta.url));
  let stale;
  try {
    stale = plannedFiles(root).filter((file) => file.actual !== file.expected);
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
  if (values.check) {
    if (stale.length > 0) {
      console.error(
        `Out of date with the root package.json (run pnpm packages:meta):\n${stale.map((file) => `  ${file.path}`).join('\n')}`,
      );
      process.exit(1);
    }
  } else {
    for (const file of stale) {
      writeFileSync(join(root, file.path), file.expected);
      console.log(`wrote ${file.path}`);
    }
  }
}
