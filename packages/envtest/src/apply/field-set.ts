const written = new WeakMap<FieldSet, Record<string, unknown>>();

/**
 * A set of field paths in the trie form of kube-apiserver's `fieldsV1`: each node is one path
 * element (`f:name`, `k:{"name":"c"}`, `v:"x"`, `i:0`); `member` marks the node's path itself as
 * in the set (written as `".": {}` when the node also has children).
 */
export class FieldSet {
  readonly children = new Map<string, FieldSet>();
  member = false;

  /** The node at `element`, created if absent. */
  child(element: string): FieldSet {
    let node = this.children.get(element);
    if (node === undefined) {
      node = new FieldSet();
      this.children.set(element, node);
    }
    return node;
  }

  get empty(): boolean {
    return !this.member && this.children.size === 0;
  }

  /** Adds a path (a list of elements) as a member. */
  insert(path: readonly string[]): void {
    const node = this.#find(path, true);
    if (node !== undefined) node.member = true;
  }

  has(path: readonly string[]): boolean {
    return this.#find(path, false)?.member === true;
  }

  /** True when the path or anything below it is a member. */
  touches(path: readonly string[]): boolean {
    const node = this.#find(path, false);
    return node !== undefined && !node.empty;
  }

  /** The node at `path` (created on the way with `create`). */
  #find(path: readonly string[], create: boolean): FieldSet | undefined {
    const [first, ...rest] = path;
    if (first === undefined) return this;
    const next = create ? this.child(first) : this.children.get(first);
    return next === undefined ? undefined : next.#find(rest, create);
  }

  /** True when a member of this set is also one of `other` (no allocation). */
  overlaps(other: FieldSet): boolean {
    if (this.member && other.member) return true;
    for (const [element, node] of this.children) {
      const against = other.children.get(element);
      if (against !== undefined && node.overlaps(against)) return true;
    }
    return false;
  }

  /** True when every member of this set is in `other` (no allocation). */
  within(other: FieldSet): boolean {
    if (this.member && !other.member) return false;
    for (const [element, node] of this.children) {
      const against = other.children.get(element);
      if (against === undefined ? !node.empty : !node.within(against)) return false;
    }
    return true;
  }

  /** Every member path, depth first. */
  paths(prefix: string[] = []): string[][] {
    const out: string[][] = [];
    if (this.member) out.push(prefix);
    for (const [element, node] of this.children) out.push(...node.paths([...prefix, element]));
    return out;
  }

  union(other: FieldSet): FieldSet {
    const out = this.clone();
    out.#add(other);
    return out;
  }

  #add(other: FieldSet): void {
    if (other.member) this.member = true;
    for (const [element, node] of other.children) this.child(element).#add(node);
  }

  /** This set without the members of `other`. */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && !other.member;
    for (const [element, node] of this.children) {
      const against = other.children.get(element);
      const rest = against === undefined ? node.clone() : node.difference(against);
      if (!rest.empty) out.children.set(element, rest);
    }
    return out;
  }

  /** This set without the members at or below each path of `removed`. */
  without(removed: FieldSet): FieldSet {
    const out = new FieldSet();
    if (removed.member) return out;
    out.member = this.member;
    for (const [element, node] of this.children) {
      const against = removed.children.get(element);
      const rest = against === undefined ? node.clone() : node.without(against);
      if (!rest.empty) out.children.set(element, rest);
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && other.member;
    for (const [element, node] of this.children) {
      const against = other.children.get(element);
      if (against === undefined) continue;
      const both = node.intersection(against);
      if (!both.empty) out.children.set(element, both);
    }
    return out;
  }

  clone(): FieldSet {
    const out = new FieldSet();
    out.member = this.member;
    for (const [element, node] of this.children) out.children.set(element, node.clone());
    return out;
  }

  /** The `fieldsV1` JSON of this set (computed once; sets are not changed once written). */
  toJson(): Record<string, unknown> {
    let json = written.get(this);
    if (json === undefined) {
      json = this.#toJson();
      written.set(this, json);
    }
    return json;
  }

  #toJson(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.member && this.children.size > 0) out['.'] = {};
    for (const [element, node] of this.children) out[element] = node.#toJson();
    return out;
  }

  /** Reads `fieldsV1` JSON (as stored in managedFields). */
  static fromJson(json: unknown): FieldSet {
    const out = new FieldSet();
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return out;
    const entries = Object.entries(json as Record<string, unknown>);
    if (entries.length === 0) out.member = true;
    for (const [element, value] of entries) {
      if (element === '.') out.member = true;
      else out.children.set(element, FieldSet.fromJson(value));
    }
    return out;
  }
}

/** A path element as structured-merge-diff prints it: `.name`, `[name="c"]`, `[="x"]`, `[0]`. */
export function printElement(element: string): string {
  const value = element.slice(2);
  switch (element.slice(0, 2)) {
    case 'f:':
      return `.${value}`;
    case 'k:': {
      const keys = JSON.parse(value) as Record<string, unknown>;
      return `[${Object.entries(keys)
        .map(([key, item]) => `${key}=${JSON.stringify(item)}`)
        .join(',')}]`;
    }
    case 'v:':
      return `[=${value}]`;
    case 'i:':
      return `[${value}]`;
    default:
      return element;
  }
}

/** A path as kube-apiserver prints it in apply conflicts: `.spec.containers[name="c"].image`. */
export function printPath(path: readonly string[]): string {
  return path.map(printElement).join('');
}
