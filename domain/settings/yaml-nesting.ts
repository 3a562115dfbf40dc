/**
 * Refuses YAML nested too deeply before the yaml package composes it. Composing is recursive and relies on
 * catching the stack overflow; when V8 overflows while compiling a regular expression it aborts the whole process
 * ("RegExpCompiler Allocation failed") instead, which a 10,000-level `[[[...]]]` in sentinel.yaml or in a backed-up
 * file triggers on its second parse. The CST parser keeps its own stack, so the depth is measured on its tokens,
 * without recursion. Pure (no I/O): usable from domain code.
 */
import { Parser, type CST, type LineCounter } from 'yaml';

/** Far beyond any real configuration (Kubernetes manifests nest about 15 levels), far below a stack overflow. */
export const MAX_YAML_NESTING = 128;

export class YamlNestingError extends Error {
  override readonly name = 'YamlNestingError';

  constructor(
    readonly limit: number,
    readonly offset: number,
  ) {
    super(`collections nested deeper than ${limit} levels`);
  }
}

/** The CST tokens of `text` (feed them to a yaml `Composer`); throws YamlNestingError when nested too deeply. */
export function yamlTokensWithinNesting(text: string, lineCounter?: LineCounter, limit = MAX_YAML_NESTING): CST.Token[] {
  const tokens = Array.from(new Parser(lineCounter?.addNewLine).parse(text));
  const pending: Array<{ token: CST.Token | null | undefined; depth: number }> = tokens.map((token) => ({ token, depth: 0 }));
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { token, depth } = next;
    if (!token) continue;
    if (token.type === 'document') pending.push({ token: token.value, depth });
    else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth + 1 > limit) throw new YamlNestingError(limit, token.offset);
      for (const item of token.items as CST.CollectionItem[]) pending.push({ token: item.key, depth: depth + 1 }, { token: item.value, depth: depth + 1 });
    }
  }
  return tokens;
}

/** Throws YamlNestingError when `text` nests deeper than `limit`; call before `YAML.parse`. */
export function assertYamlNesting(text: string, limit = MAX_YAML_NESTING): void {
  yamlTokensWithinNesting(text, undefined, limit);
}
