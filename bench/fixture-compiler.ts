import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import ts from 'typescript';

/**
 * Transpiles a self-contained bench server (mock upstream, bare proxy) to a plain `.mjs` file in
 * `outputDirectory`, so it runs under bare `node` like the gateway does, without the tsx loader
 * and its extra thread and memory. `outputDirectory` must sit inside the repository so that
 * `undici` resolves from its node_modules.
 */
export async function compileFixture(sourcePath: string, outputDirectory: string): Promise<string> {
  const source = await readFile(sourcePath, 'utf8');
  const output = ts.transpileModule(source, {
    fileName: basename(sourcePath),
    reportDiagnostics: true,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      sourceMap: false,
    },
  });
  const problems = output.diagnostics ?? [];
  if (problems.length > 0) {
    const messages = problems.map((problem) => ts.flattenDiagnosticMessageText(problem.messageText, '\n'));
    throw new Error(`cannot transpile ${sourcePath}:\n${messages.join('\n')}`);
  }
  await mkdir(outputDirectory, { recursive: true });
  const outputPath = join(outputDirectory, basename(sourcePath).replace(/\.ts$/, '.mjs'));
  await writeFile(outputPath, output.outputText);
  return outputPath;
}
