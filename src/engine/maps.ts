/**
 * Value maps (sFlow-RT /map/{name}/json): label -> [values], read backwards
 * by the `map:<key>:<name>` key function to label a key's value.
 */
export class MapError extends Error {
  override name = 'MapError';
}

export class Maps {
  private readonly definitions = new Map<string, Record<string, string[]>>();
  private readonly lookups = new Map<string, Map<string, string>>();

  set(name: string, definition: unknown): void {
    if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) {
      throw new MapError('a map is a JSON object of label: [value, ...]');
    }
    const clean: Record<string, string[]> = {};
    const lookup = new Map<string, string>();
    for (const [label, values] of Object.entries(definition as Record<string, unknown>)) {
      if (!Array.isArray(values) || !values.every((v) => typeof v === 'string' || typeof v === 'number')) {
        throw new MapError(`map entry '${label}' must be a list of values`);
      }
      clean[label] = values.map(String);
      for (const v of clean[label]) lookup.set(v, label);
    }
    this.definitions.set(name, clean);
    this.lookups.set(name, lookup);
  }

  delete(name: string): boolean {
    this.lookups.delete(name);
    return this.definitions.delete(name);
  }

  get(name: string): Record<string, string[]> | undefined {
    return this.definitions.get(name);
  }

  names(): string[] {
    return [...this.definitions.keys()];
  }

  get size(): number {
    return this.definitions.size;
  }

  lookup(name: string, value: string): string | undefined {
    return this.lookups.get(name)?.get(value);
  }
}
