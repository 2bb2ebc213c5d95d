/**
 * A strict reader for XML property lists, the form devices send check-ins, command results
 * and MachineInfo in. It reads only what Apple's PropertyList-1.0 DTD allows, in one linear
 * pass over the text.
 *
 * Why not a DOM parser: @xmldom/xmldom builds a fresh Unicode RegExp for every end tag
 * (~40 µs an element), so a 16 MiB check-in body of empty elements held the event loop for
 * over a minute, before any signature was checked. Here the cost is a few nanoseconds a byte,
 * nesting stops at MAX_DEPTH, and a DOCTYPE with an internal subset (the only place entities
 * can be declared: "billion laughs", external entities) is refused outright.
 */
import { MAX_DEPTH, PlistError, hasNonXmlCharacter, setKey, type PlistValue } from './plist-value.js';

const NAME = /[A-Za-z_:][-A-Za-z0-9._:]*/y;
const WHITESPACE = /[ \t\n\r]*/y;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function parseXmlPlist(bytes: Uint8Array): PlistValue {
  let text: string;
  try {
    // Strips a UTF-8 byte order mark; refuses bytes that are not UTF-8 (XML §4.3.3).
    text = UTF8.decode(bytes);
  } catch {
    throw new PlistError('not an XML property list: the bytes are not UTF-8');
  }
  if (hasNonXmlCharacter(text)) throw new PlistError('not an XML property list: it holds a character XML forbids');
  // XML §2.11: every CR LF and lone CR is read as LF.
  return new XmlReader(text.replace(/\r\n?/g, '\n')).document();
}

interface StartTag {
  readonly name: string;
  readonly empty: boolean;
}

class XmlReader {
  private at = 0;

  constructor(private readonly s: string) {}

  document(): PlistValue {
    this.misc('the document');
    if (this.s.startsWith('<!DOCTYPE', this.at)) {
      this.doctype();
      this.misc('the document');
    }
    if (this.at >= this.s.length) throw this.fail('no root element');
    const root = this.startTag();
    if (root.name !== 'plist') throw this.fail('not a property list: the root element is not <plist>');
    if (root.empty) throw this.fail('a property list holds exactly one value');
    this.misc('<plist>');
    if (this.s.startsWith('</', this.at)) throw this.fail('a property list holds exactly one value');
    const value = this.value(0);
    this.misc('<plist>');
    if (!this.s.startsWith('</', this.at)) throw this.fail('a property list holds exactly one value');
    this.endTag('plist');
    this.misc('the document');
    if (this.at !== this.s.length) throw this.fail('content after </plist>');
    return value;
  }

  private value(depth: number): PlistValue {
    if (depth > MAX_DEPTH) throw this.fail(`nested deeper than ${MAX_DEPTH} levels`);
    const tag = this.startTag();
    switch (tag.name) {
      case 'dict':
        return tag.empty ? {} : this.dict(depth);
      case 'array':
        return tag.empty ? [] : this.array(depth);
      case 'string':
        return this.text(tag);
      case 'integer': {
        const raw = this.text(tag).trim();
        if (!/^[+-]?\d{1,19}$/.test(raw)) throw this.fail(`"${raw.slice(0, 40)}" is not an integer`);
        return Number(raw);
      }
      case 'real':
        return real(this.text(tag).trim());
      case 'true':
      case 'false':
        if (this.text(tag).trim() !== '') throw this.fail(`<${tag.name}> holds text`);
        return tag.name === 'true';
      case 'date': {
        const date = new Date(this.text(tag).trim());
        if (Number.isNaN(date.getTime())) throw this.fail('a <date> is not an ISO 8601 date');
        return date;
      }
      case 'data': {
        const compact = this.text(tag).replace(/[ \t\n\r]+/g, '');
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) throw this.fail('a <data> value is not base64');
        return Buffer.from(compact, 'base64');
      }
      default:
        throw this.fail(`<${tag.name}> is not a property list type`);
    }
  }

  private dict(depth: number): PlistValue {
    const dict: Record<string, PlistValue> = {};
    for (;;) {
      this.misc('<dict>');
      if (this.s.startsWith('</', this.at)) {
        this.endTag('dict');
        return dict;
      }
      const key = this.startTag();
      if (key.name !== 'key') throw this.fail(`a <dict> has <${key.name}> where a <key> belongs`);
      const name = this.text(key);
      this.misc('<dict>');
      if (this.s.startsWith('</', this.at)) throw this.fail('a <dict> has a key without a value');
      setKey(dict, name, this.value(depth + 1));
    }
  }

  private array(depth: number): PlistValue {
    const items: PlistValue[] = [];
    for (;;) {
      this.misc('<array>');
      if (this.s.startsWith('</', this.at)) {
        this.endTag('array');
        return items;
      }
      items.push(this.value(depth + 1));
    }
  }

  /** The character data of a leaf element up to its end tag: references, CDATA and comments allowed, elements not. */
  private text(tag: StartTag): string {
    if (tag.empty) return '';
    const { s } = this;
    let out = '';
    for (;;) {
      const lt = s.indexOf('<', this.at);
      if (lt === -1) throw this.fail(`<${tag.name}> is not closed`);
      out += this.characterData(lt);
      if (s.startsWith('</', lt)) {
        this.endTag(tag.name);
        return out;
      }
      if (s.startsWith('<![CDATA[', lt)) {
        const end = s.indexOf(']]>', lt + 9);
        if (end === -1) throw this.fail('a CDATA section is not closed');
        out += s.slice(lt + 9, end);
        this.at = end + 3;
      } else if (s.startsWith('<!--', lt)) {
        this.comment();
      } else if (s.startsWith('<?', lt)) {
        this.processingInstruction();
      } else {
        throw this.fail(`<${tag.name}> holds an element, not text`);
      }
    }
  }

  /** The text from here to `end` (the next "<"), references resolved; searches never pass `end`. */
  private characterData(end: number): string {
    const segment = this.s.slice(this.at, end);
    let out = '';
    let from = 0;
    for (let amp = segment.indexOf('&'); amp !== -1; amp = segment.indexOf('&', from)) {
      const semicolon = segment.indexOf(';', amp);
      if (semicolon === -1 || semicolon - amp > 12) {
        this.at += amp;
        throw this.fail('an "&" starts no reference');
      }
      out += segment.slice(from, amp) + this.reference(segment.slice(amp + 1, semicolon));
      from = semicolon + 1;
    }
    this.at = end;
    return out + segment.slice(from);
  }

  /** The five predefined entities and character references (XML §4.1, §4.6); nothing else is defined. */
  private reference(name: string): string {
    switch (name) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
    }
    const code = /^#[0-9]{1,7}$/.test(name)
      ? Number.parseInt(name.slice(1), 10)
      : /^#x[0-9A-Fa-f]{1,6}$/.test(name)
        ? Number.parseInt(name.slice(2), 16)
        : undefined;
    if (code === undefined) throw this.fail(`&${name}; is not a defined entity`);
    if (code > 0x10ffff) throw this.fail(`&${name}; is not a character`);
    const char = String.fromCodePoint(code);
    if (hasNonXmlCharacter(char)) throw this.fail(`&${name}; names a character XML forbids`);
    return char;
  }

  private startTag(): StartTag {
    const { s } = this;
    if (s[this.at] !== '<') throw this.fail('an element was expected');
    this.at += 1;
    const name = this.name();
    for (;;) {
      const spaced = this.whitespace();
      if (s.startsWith('/>', this.at)) {
        this.at += 2;
        return { name, empty: true };
      }
      if (s[this.at] === '>') {
        this.at += 1;
        return { name, empty: false };
      }
      // An attribute (only <plist version="1.0"> has one); read to keep the syntax honest, then ignored.
      if (!spaced) throw this.fail(`<${name}> is not well formed`);
      this.name();
      this.whitespace();
      if (s[this.at] !== '=') throw this.fail(`an attribute of <${name}> has no value`);
      this.at += 1;
      this.whitespace();
      const quote = s[this.at];
      if (quote !== '"' && quote !== "'") throw this.fail(`an attribute of <${name}> is not quoted`);
      const end = s.indexOf(quote, this.at + 1);
      if (end === -1 || s.slice(this.at + 1, end).includes('<')) {
        throw this.fail(`an attribute of <${name}> is not closed`);
      }
      this.at = end + 1;
    }
  }

  private endTag(name: string): void {
    if (!this.s.startsWith('</', this.at)) throw this.fail(`</${name}> was expected`);
    this.at += 2;
    const found = this.name();
    this.whitespace();
    if (found !== name || this.s[this.at] !== '>') {
      throw this.fail(`<${name}> is closed by </${found.slice(0, 40)}>`);
    }
    this.at += 1;
  }

  private name(): string {
    NAME.lastIndex = this.at;
    const match = NAME.exec(this.s);
    if (match === null) throw this.fail('an element name was expected');
    this.at = NAME.lastIndex;
    return match[0];
  }

  private whitespace(): boolean {
    WHITESPACE.lastIndex = this.at;
    WHITESPACE.exec(this.s);
    const moved = WHITESPACE.lastIndex > this.at;
    this.at = WHITESPACE.lastIndex;
    return moved;
  }

  /** Whitespace, comments and processing instructions between elements; anything else is stray text. */
  private misc(where: string): void {
    const { s } = this;
    for (;;) {
      this.whitespace();
      if (s.startsWith('<!--', this.at)) this.comment();
      else if (s.startsWith('<?', this.at)) this.processingInstruction();
      else if (this.at < s.length && s[this.at] !== '<') throw this.fail(`stray text inside ${where}`);
      else return;
    }
  }

  private comment(): void {
    const end = this.s.indexOf('-->', this.at + 4);
    if (end === -1) throw this.fail('a comment is not closed');
    this.at = end + 3;
  }

  private processingInstruction(): void {
    const end = this.s.indexOf('?>', this.at + 2);
    if (end === -1) throw this.fail('a processing instruction is not closed');
    this.at = end + 2;
  }

  /** `<!DOCTYPE plist PUBLIC "…" "…">`, skipped; an internal subset `[…]` is refused (XML §2.8). */
  private doctype(): void {
    const { s } = this;
    let quote: string | null = null;
    for (let i = this.at + 9; i < s.length; i += 1) {
      const c = s[i];
      if (quote !== null) {
        if (c === quote) quote = null;
      } else if (c === '"' || c === "'") {
        quote = c;
      } else if (c === '[') {
        throw this.fail('a DOCTYPE with declarations of its own is refused');
      } else if (c === '>') {
        this.at = i + 1;
        return;
      }
    }
    throw this.fail('the DOCTYPE is not closed');
  }

  private fail(message: string): PlistError {
    return new PlistError(`not an XML property list: ${message} (at character ${this.at})`);
  }
}

/** Apple writes reals as decimal numbers, and "nan" / "+infinity" / "-infinity". */
function real(raw: string): number {
  const lower = raw.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (/^[+]?inf(inity)?$/.test(lower)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/.test(lower)) return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(lower)) throw new PlistError(`"${raw.slice(0, 40)}" is not a real`);
  return Number(raw);
}
