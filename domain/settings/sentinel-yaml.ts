/**
 * sentinel.yaml text -> validated configuration, with every error placed in the file: YAML syntax errors by line
 * and column (an unterminated quote at the line it opens, not at the end of the file where the parser gives up),
 * schema problems by the line of the offending key. Pure (no I/O): platform/settings-file.ts reads the file.
 */
import { CST, isMap, isNode, isScalar, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import { SettingsError, parseSettings, type LocatePath, type SentinelSettings } from './schema.js';
import { YamlNestingError, yamlTokensWithinNesting } from './yaml-nesting.js';

const QUOTED = new Set(['double-quoted-scalar', 'single-quoted-scalar']);

/** The offset of a quoted scalar that never closes, found on the CST (the composer reports where the text ends). */
function unterminatedQuoteOffset(tokens: readonly CST.Token[]): number | undefined {
  let found: number | undefined;
  for (const token of tokens) {
    if (token.type !== 'document' || found !== undefined) continue;
    CST.visit(token, (item) => {
      for (const part of [item.key, item.value]) {
        if (part && QUOTED.has(part.type) && 'source' in part && !closed(part.source, part.type === 'double-quoted-scalar' ? '"' : "'")) {
          found = part.offset;
          return CST.visit.BREAK;
        }
      }
      return undefined;
    });
  }
  return found;
}

/** Whether a quoted scalar's source ends with its closing quote (an escaped `\"` does not close a double-quoted one). */
function closed(source: string, quote: string): boolean {
  const body = source.trimEnd();
  if (body.length < 2 || !body.endsWith(quote)) return false;
  if (quote === "'") return true;
  let backslashes = 0;
  for (let i = body.length - 2; i >= 0 && body[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 0;
}

function syntaxError(source: string, text: string, lines: LineCounter, error: YAMLError, tokens: readonly CST.Token[]): SettingsError {
  let offset = error.pos[0];
  let message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (error.code === 'MISSING_CHAR' && /quote/i.test(message)) {
    const start = unterminatedQuoteOffset(tokens);
    if (start !== undefined) {
      offset = start;
      message = 'this quoted string is never closed';
    }
  }
  return new SettingsError(`${source} is not valid YAML: ${message} at ${place(text, lines, offset)}${excerpt(text, lines, offset)}`);
}

function place(text: string, lines: LineCounter, offset: number): string {
  const { line, col } = lines.linePos(Math.min(offset, Math.max(0, text.length - 1)));
  return `line ${line}, column ${col}`;
}

/** The line in question with a caret under the column, as compilers show it. */
function excerpt(text: string, lines: LineCounter, offset: number): string {
  const { line, col } = lines.linePos(Math.min(offset, Math.max(0, text.length - 1)));
  const content = text.split(/\r?\n/)[line - 1];
  if (content === undefined || content.trim() === '') return '';
  // A window of the line around the column: a line may be megabytes long.
  const from = Math.max(0, col - 1 - 60);
  const shown = `${from > 0 ? '…' : ''}${content.slice(from, from + 120).replace(/\t/g, ' ')}`;
  const caret = col - 1 - from + (from > 0 ? 1 : 0);
  return `\n  ${line} | ${shown}\n  ${' '.repeat(String(line).length)} | ${' '.repeat(caret)}^`;
}

/** The line of a path into the document: the key's line when the path ends in a key, else the value's. */
function locator(doc: Document, lines: LineCounter): LocatePath {
  return (path) => {
    if (path.length === 0) return undefined;
    const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1) as unknown[], true);
    const last = path[path.length - 1];
    let offset: number | undefined;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === last);
      if (pair && isNode(pair.key)) offset = pair.key.range?.[0];
    } else if (isNode(parent)) {
      const node = doc.getIn(path as unknown[], true);
      offset = isNode(node) ? node.range?.[0] : parent.range?.[0];
    }
    return offset === undefined ? undefined : lines.linePos(offset).line;
  };
}

export function parseSentinelYaml(text: string, source = 'sentinel.yaml'): SentinelSettings {
  const lines = new LineCounter();
  let tokens: CST.Token[];
  try {
    tokens = yamlTokensWithinNesting(text, lines);
  } catch (error) {
    if (error instanceof YamlNestingError) return fail(`${source} is not valid YAML: ${error.message} at ${place(text, lines, error.offset)}`);
    throw error;
  }
  // The tokens fed the line counter already; a second counter for the document keeps the two independent.
  const docLines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: docLines, prettyErrors: false, uniqueKeys: true });
  const [first] = doc.errors;
  if (first) throw syntaxError(source, text, docLines, first, tokens);
  return parseSettings(doc.toJS(), source, locator(doc, docLines));
}

function fail(message: string): never {
  throw new SettingsError(message);
}
