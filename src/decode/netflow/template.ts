/**
 * A template compiled into a field plan when it is defined: per field its
 * decode kind, fixed length (or -1 for variable length), output name and role,
 * plus the record's fixed length (when no field is variable) and its minimum
 * length (for telling padding from records).
 */
import { fieldKind, K_OCTETS, K_SKIP, K_UINT, VARLEN } from './fields.js';
import { lookupIe, NETFLOW9_SCOPE_NAMES, PEN_REVERSE } from './ies.js';
import { netflow9ScopeRole, roleOf } from './roles.js';
import type { FieldValue, TemplateFieldInfo } from './types.js';

export type TemplateProtocol = 'ipfix' | 'netflow9';

/** A field specifier as sent on the wire. `length` 65535 = variable length; `pen` 0 = IANA. */
export interface FieldSpec {
  id: number;
  length: number;
  pen: number;
}

export class Template {
  readonly protocol: TemplateProtocol;
  readonly domain: number;
  readonly id: number;
  readonly options: boolean;
  readonly scopeCount: number;
  readonly specs: readonly FieldSpec[];
  /** Field count. */
  readonly n: number;
  readonly kinds: Uint8Array;
  /** Byte length per field, -1 for variable length. */
  readonly lengths: Int32Array;
  readonly names: string[];
  /** Role per field (roles.ts), -1 for none. Only the first field of a role gets it. */
  readonly roles: Int8Array;
  /** 1 for enterprise IEs, whose value is wrapped as {pen, id, value}. */
  readonly wrap: Uint8Array;
  readonly ids: Uint16Array;
  readonly pens: Uint32Array;
  /** Record length when no field is variable, else -1. */
  readonly fixedLength: number;
  /** Smallest possible record (a variable-length field counts 1 byte). */
  readonly minLength: number;
  /** True when some field has a role (keys, times or lookups can be computed). */
  readonly hasRoles: boolean;
  /** Identity of the definition, to tell a refresh from a replacement. */
  readonly signature: string;

  // Store bookkeeping (see store.ts): last definition time and LRU links.
  refreshedAt = 0;
  storeKey = 0;
  owner: unknown = null;
  prev: Template | null = null;
  next: Template | null = null;
  ownerPrev: Template | null = null;
  ownerNext: Template | null = null;

  constructor(
    protocol: TemplateProtocol,
    domain: number,
    id: number,
    options: boolean,
    scopeCount: number,
    specs: readonly FieldSpec[],
  ) {
    this.protocol = protocol;
    this.domain = domain;
    this.id = id;
    this.options = options;
    this.scopeCount = options ? scopeCount : 0;
    this.specs = specs;
    const n = specs.length;
    this.n = n;
    this.kinds = new Uint8Array(n);
    this.lengths = new Int32Array(n);
    this.names = new Array<string>(n);
    this.roles = new Int8Array(n).fill(-1);
    this.wrap = new Uint8Array(n);
    this.ids = new Uint16Array(n);
    this.pens = new Uint32Array(n);
    const v9 = protocol === 'netflow9';
    const seenNames = new Map<string, number>();
    const seenRoles = new Set<number>();
    let fixed = 0;
    let min = 0;
    let varlen = false;
    let hasRoles = false;
    for (let i = 0; i < n; i++) {
      const s = specs[i]!;
      this.ids[i] = s.id;
      this.pens[i] = s.pen;
      let name: string;
      let kind: number;
      let role: number;
      if (v9 && i < this.scopeCount) {
        // NetFlow v9 scope fields: System, Interface, Line Card, Cache, Template (RFC 3954 §6.1).
        name = NETFLOW9_SCOPE_NAMES[s.id] ?? `scope${s.id}`;
        kind = s.length === 0 ? K_SKIP : s.length <= 8 || s.length === VARLEN ? K_UINT : K_OCTETS;
        role = netflow9ScopeRole(s.id);
      } else {
        const ie = lookupIe(s.id, s.pen, v9);
        name = ie.name;
        // paddingOctets (210) is zeros by definition: skipped, not output.
        kind = s.pen === 0 && s.id === 210 ? K_SKIP : fieldKind(ie.type, s.length);
        role = roleOf(s.id, s.pen, v9);
        if (s.pen !== 0 && s.pen !== PEN_REVERSE) this.wrap[i] = 1;
      }
      // Repeated IEs (RFC 7011 §3.4.1 allows them): the first keeps the name, later ones get _2, _3, ...
      const seen = seenNames.get(name) ?? 0;
      seenNames.set(name, seen + 1);
      this.names[i] = seen === 0 ? name : `${name}_${seen + 1}`;
      this.kinds[i] = kind;
      if (role >= 0 && !seenRoles.has(role)) {
        seenRoles.add(role);
        this.roles[i] = role;
        hasRoles = true;
      }
      if (s.length === VARLEN) {
        varlen = true;
        this.lengths[i] = -1;
        min += 1;
      } else {
        this.lengths[i] = s.length;
        fixed += s.length;
        min += s.length;
      }
    }
    this.build = compileBuilder(this.names, this.kinds);
    this.fixedLength = varlen ? -1 : fixed;
    this.minLength = min;
    this.hasRoles = hasRoles;
    this.signature = templateSignature(protocol, this.options, this.scopeCount, specs);
  }

  private info: TemplateFieldInfo[] | undefined;
  /**
   * Builds a record's fields object from the decoded values (indexed by field
   * position; zero-length fields are left out). See compileBuilder.
   */
  readonly build: (values: readonly (FieldValue | undefined)[]) => Record<string, FieldValue>;

  /** The field specifiers as reported in messages and JSON (computed once; do not modify). */
  fieldInfo(): TemplateFieldInfo[] {
    if (this.info !== undefined) return this.info;
    const out: TemplateFieldInfo[] = [];
    for (let i = 0; i < this.n; i++) {
      const s = this.specs[i]!;
      const f: TemplateFieldInfo = { id: s.id, name: this.names[i]!, length: s.length };
      if (s.pen !== 0) f.pen = s.pen;
      if (i < this.scopeCount) f.scope = true;
      out.push(f);
    }
    this.info = out;
    return out;
  }
}

/** Identity of a definition: equal signatures mean a refresh, different ones a replacement. */
export function templateSignature(
  protocol: TemplateProtocol,
  options: boolean,
  scopeCount: number,
  specs: readonly FieldSpec[],
): string {
  let s = `${protocol}|${options ? 'o' : 'd'}|${options ? scopeCount : 0}|`;
  for (const f of specs) s += `${f.pen}.${f.id}.${f.length},`;
  return s;
}

type Builder = (values: readonly (FieldValue | undefined)[]) => Record<string, FieldValue>;

/** Code generation may be disabled (node --disallow-code-generation-from-strings): then this is used. */
function genericBuilder(names: readonly string[], kinds: Uint8Array): Builder {
  return (values) => {
    const out: Record<string, FieldValue> = {};
    for (let i = 0; i < names.length; i++) {
      const v = values[i];
      if (kinds[i] !== K_SKIP && v !== undefined) out[names[i]!] = v;
    }
    return out;
  };
}

/**
 * A function returning an object literal with the template's field names:
 * `(v) => ({"sourceIPv4Address": v[0], ...})`. Objects built from a literal
 * share one hidden class per template and cost ~30 ns for 20 fields, where
 * adding properties one by one under varying names costs ~1 µs (a keyed store
 * per property). The names are quoted with JSON.stringify, so no input can
 * inject code; they come from the IE table or from numbers in any case.
 */
function compileBuilder(names: readonly string[], kinds: Uint8Array): Builder {
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) {
    if (kinds[i] !== K_SKIP) parts.push(`${JSON.stringify(names[i])}:v[${i}]`);
  }
  try {
    return new Function('v', `return {${parts.join(',')}};`) as Builder;
  } catch {
    return genericBuilder(names, kinds);
  }
}
