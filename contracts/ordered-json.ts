/**
 * JSON output that embeds documents as Extended JSON text in their own field
 * order. `JSON.stringify` of an object prints digit-only keys first; a
 * document printed by bsonToEjson keeps the order of its bytes, and RawJson
 * carries that text through a report into stringifyJson, which splices it in
 * verbatim (re-indented). Plain JSON.stringify still works on a RawJson
 * (through toJSON) but, being an object again, loses that order.
 */
export class RawJson {
  constructor(readonly text: string) {}

  toJSON(): unknown {
    return JSON.parse(this.text) as unknown;
  }
}

const MARK = '\u0000rawjson:';

/** JSON.stringify, with every RawJson's text spliced in as it is. */
export function stringifyJson(value: unknown, indent = 0): string {
  const raws: RawJson[] = [];
  const text = JSON.stringify(
    value,
    function replacer(this: unknown, key: string, v: unknown) {
      const own = (this as Record<string, unknown> | undefined)?.[key];
      if (own instanceof RawJson) {
        raws.push(own);
        return `${MARK}${raws.length - 1}`;
      }
      return v;
    },
    indent,
  );
  if (raws.length === 0) return text;
  const quotedMark = JSON.stringify(MARK).slice(1, -1);
  const pattern = new RegExp(`^([ \\t]*)(.*)"${quotedMark.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}(\\d+)"`, 'gm');
  return text.replace(pattern, (_m, pad: string, before: string, n: string) => {
    const raw = raws[Number(n)] as RawJson;
    const body = indent > 0 ? reindent(raw.text, indent, pad) : raw.text;
    return `${pad}${before}${body}`;
  });
}

/** Lays one-line JSON text out with `indent` spaces per level, under a line indented by `pad`. */
function reindent(text: string, indent: number, pad: string): string {
  const parsedOrder = JSON.parse(text) as unknown; // validates; layout below follows the text itself
  void parsedOrder;
  let out = '';
  let depth = 0;
  let inString = false;
  const nl = (d: number) => `\n${pad}${' '.repeat(indent * d)}`;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      if (text[i + 1] === close) {
        out += c + close;
        i += 1;
      } else {
        depth += 1;
        out += c + nl(depth);
      }
    } else if (c === '}' || c === ']') {
      depth -= 1;
      out += nl(depth) + c;
    } else if (c === ',') out += `,${nl(depth)}`;
    else if (c === ':') out += ': ';
    else if (c !== ' ' && c !== '\n' && c !== '\t' && c !== '\r') out += c;
  }
  return out;
}
