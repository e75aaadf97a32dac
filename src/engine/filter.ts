/**
 * sFlow-RT filter expressions: `key=v1,v2`, `key!=v`, `key~regex`,
 * `key!~regex`, `null` for absence, combined with `&`, `|` and parentheses
 * (`&` binds tighter than `|`). The left side is any key expression, key
 * functions included. Filters compile to a predicate once, at definition time.
 */
import { compileKey, ExprError, type KeyEnv, type KeyValue } from './expr.js';

export type Predicate<S> = (sample: S) => boolean;

type Op = '=' | '!=' | '~' | '!~';

class Parser<S> {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly env: KeyEnv<S>,
  ) {}

  parse(): Predicate<S> {
    const p = this.or();
    this.skipSpace();
    if (this.pos < this.text.length) this.fail(`unexpected '${this.text[this.pos]}'`);
    return p;
  }

  private fail(message: string): never {
    throw new ExprError(`filter '${this.text}': ${message} at position ${this.pos}`);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private or(): Predicate<S> {
    const terms = [this.and()];
    this.skipSpace();
    while (this.text[this.pos] === '|') {
      this.pos++;
      terms.push(this.and());
      this.skipSpace();
    }
    if (terms.length === 1) return terms[0];
    return (s) => {
      for (const t of terms) if (t(s)) return true;
      return false;
    };
  }

  private and(): Predicate<S> {
    const terms = [this.unary()];
    this.skipSpace();
    while (this.text[this.pos] === '&') {
      this.pos++;
      terms.push(this.unary());
      this.skipSpace();
    }
    if (terms.length === 1) return terms[0];
    return (s) => {
      for (const t of terms) if (!t(s)) return false;
      return true;
    };
  }

  private unary(): Predicate<S> {
    this.skipSpace();
    if (this.text[this.pos] === '(') {
      this.pos++;
      const inner = this.or();
      this.skipSpace();
      if (this.text[this.pos] !== ')') this.fail("missing ')'");
      this.pos++;
      return inner;
    }
    if (this.text[this.pos] === '!' && this.text[this.pos + 1] === '(') {
      this.pos++;
      const inner = this.unary();
      return (s) => !inner(s);
    }
    return this.comparison();
  }

  /** `lhs op rhs`; the left side may hold key functions with `[ ]` and `\` escapes. */
  private comparison(): Predicate<S> {
    const start = this.pos;
    let depth = 0;
    let op: Op | undefined;
    let lhsEnd = -1;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === '\\') {
        this.pos += 2;
        continue;
      }
      if (c === '[') depth++;
      else if (c === ']') depth--;
      else if (depth === 0) {
        const two = this.text.slice(this.pos, this.pos + 2);
        if (two === '!=' || two === '!~') {
          op = two;
          lhsEnd = this.pos;
          this.pos += 2;
          break;
        }
        if (c === '=' || c === '~') {
          op = c;
          lhsEnd = this.pos;
          this.pos++;
          break;
        }
        if (c === '&' || c === '|' || c === ')' || c === '(') break;
      }
      this.pos++;
    }
    if (op === undefined)
      this.fail(`expected a comparison (=, !=, ~, !~) after '${this.text.slice(start, this.pos).trim()}'`);
    const lhs = this.text.slice(start, lhsEnd).trim();
    if (lhs === '') this.fail('missing key before the operator');
    const rhs = this.value(op === '~' || op === '!~');
    const key = compileKey(lhs, this.env);
    return comparison(key, op, rhs, this.text);
  }

  /** The right side: up to a top-level `&`, `|` or unmatched `)`. Regexes may use `( | )` inside parentheses. */
  private value(regex: boolean): string {
    const start = this.pos;
    let depth = 0;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === '\\') {
        this.pos += 2;
        continue;
      }
      if (regex && c === '(') depth++;
      else if (c === ')') {
        if (depth === 0) break;
        depth--;
      } else if ((c === '&' || c === '|') && depth === 0) break;
      this.pos++;
    }
    return this.text.slice(start, this.pos).trim();
  }
}

function comparison<S>(key: (s: S) => KeyValue | undefined, op: Op, rhs: string, text: string): Predicate<S> {
  const alternatives = rhs.split(',').map((a) => a.trim());
  const wantsNull = alternatives.includes('null');
  const values = alternatives.filter((a) => a !== 'null');
  let match: (v: KeyValue | undefined) => boolean;
  if (op === '=' || op === '!=') {
    const set = new Set(values);
    match = (v) => (v === undefined || v === '' ? wantsNull : set.has(typeof v === 'string' ? v : String(v)));
  } else {
    let res: RegExp[];
    try {
      // sFlow-RT matches the whole value, like Java's String.matches.
      res = values.map((r) => new RegExp(`^(?:${r})$`));
    } catch (err) {
      throw new ExprError(`filter '${text}': invalid regular expression '${rhs}': ${(err as Error).message}`);
    }
    match = (v) => {
      if (v === undefined || v === '') return wantsNull;
      const s = typeof v === 'string' ? v : String(v);
      for (const re of res) if (re.test(s)) return true;
      return false;
    };
  }
  const negate = op === '!=' || op === '!~';
  return negate ? (s) => !match(key(s)) : (s) => match(key(s));
}

/** Compiles a filter; the empty filter accepts everything. */
export function compileFilter<S>(text: string | undefined, env: KeyEnv<S>): Predicate<S> {
  if (text === undefined || text.trim() === '') return () => true;
  return new Parser(text, env).parse();
}
