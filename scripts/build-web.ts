// Bundles the dashboard (web/) into dist/web: index.html plus content-hashed assets.
// Runs in `npm run build`, so `npm install` (its `prepare`) leaves a ready dashboard.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles web/ into `outputDirectory` (default dist/web) and names the hashed files. */
export async function buildDashboard(outputDirectory = join(root, 'dist', 'web')): Promise<{ directory: string; script: string; style: string }> {
  rmSync(outputDirectory, { recursive: true, force: true });
  const assets = join(outputDirectory, 'assets');
  mkdirSync(assets, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: 'web/main.ts' },
    bundle: true,
    format: 'esm',
    minify: true,
    target: 'es2022',
    outdir: assets,
    entryNames: '[name]-[hash]',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => basename(file));
  const script = outputs.find((file) => file.endsWith('.js'));
  const style = outputs.find((file) => file.endsWith('.css'));
  if (script === undefined || style === undefined) throw new Error(`esbuild made no app bundle: ${outputs.join(', ')}`);
  // No inline script or style: the page works under script-src 'self' and style-src 'self'.
  writeFileSync(join(outputDirectory, 'index.html'), `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sluice</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/${style}">
<script type="module" src="/dashboard/assets/${script}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The Sluice dashboard needs JavaScript.</noscript>
</body>
</html>
`);
  return { directory: outputDirectory, script, style };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { directory, script, style } = await buildDashboard();
  process.stdout.write(`dashboard: ${join(directory, 'assets', script)}, ${style}\n`);
}
