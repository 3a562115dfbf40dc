// Module resolution hooks for no-typescript.mjs (they run on Node's loader thread).
export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  const file = new URL(resolved.url).pathname;
  if (/\.[cm]?ts$/.test(file) || file.includes('/node_modules/tsx/'))
    throw new Error(`TypeScript loaded at run time: ${resolved.url} (imported by ${context.parentURL ?? 'the command line'})`);
  return resolved;
}
