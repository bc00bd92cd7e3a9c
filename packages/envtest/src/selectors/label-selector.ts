import { ApiError } from '../api/api-error.js';

type Operator = 'exists' | 'notExists' | 'in' | 'notIn' | 'gt' | 'lt';

interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  readonly values: readonly string[];
}

function satisfies(requirement: Requirement, value: string | undefined): boolean {
  switch (requirement.operator) {
    case 'exists':
      return value !== undefined;
    case 'notExists':
      return value === undefined;
    case 'in':
      return value !== undefined && requirement.values.includes(value);
    case 'notIn':
      return value === undefined || !requirement.values.includes(value);
    case 'gt':
      return value !== undefined && Number(value) > Number(requirement.values[0]);
    case 'lt':
      return value !== undefined && Number(value) < Number(requirement.values[0]);
  }
}

/** A parsed label selector (`a=b,c!=d,e in (f,g),!h,i>3`); an empty one matches everything. */
export class LabelSelector {
  readonly #requirements: readonly Requirement[];

  private constructor(requirements: readonly Requirement[]) {
    this.#requirements = requirements;
  }

  static readonly everything = new LabelSelector([]);

  get empty(): boolean {
    return this.#requirements.length === 0;
  }

  /** @throws ApiError 400 BadRequest when `text` is not a valid selector. */
  static parse(text: string | null | undefined): LabelSelector {
    if (!text?.trim()) return LabelSelector.everything;
    return new LabelSelector(new Parser(text).parse());
  }

  /** Loops without a callback: every watch calls this for every change of its resource. */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean {
    for (const requirement of this.#requirements) {
      if (!satisfies(requirement, labels?.[requirement.key])) return false;
    }
    return true;
  }
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

class Parser {
  readonly #text: string;
  #position = 0;

  constructor(text: string) {
    this.#text = text;
  }

  #fail(why: string): never {
    throw ApiError.badRequest(`unable to parse requirement: ${why}`);
  }

  #skipSpaces(): void {
    while (this.#text[this.#position] === ' ') this.#position += 1;
  }

  #word(): string {
    this.#skipSpaces();
    const start = this.#position;
    while (this.#position < this.#text.length && !' ,=!()<>'.includes(this.#text[this.#position] ?? '')) {
      this.#position += 1;
    }
    return this.#text.slice(start, this.#position);
  }

  #key(): string {
    const key = this.#word();
    if (!KEY.test(key) || key.length > 317) this.#fail(`invalid label key "${key}"`);
    return key;
  }

  #value(): string {
    const value = this.#word();
    if (!VALUE.test(value) || value.length > 63) this.#fail(`invalid label value: "${value}"`);
    return value;
  }

  #peek(): string {
    this.#skipSpaces();
    return this.#text[this.#position] ?? '';
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    for (;;) {
      requirements.push(this.#requirement());
      const next = this.#peek();
      if (next === '') return requirements;
      if (next !== ',') this.#fail(`found '${next}', expected: ','`);
      this.#position += 1;
    }
  }

  #requirement(): Requirement {
    if (this.#peek() === '!') {
      this.#position += 1;
      return { key: this.#key(), operator: 'notExists', values: [] };
    }
    const key = this.#key();
    const next = this.#peek();
    const rest = this.#text.slice(this.#position);
    if (next === '' || next === ',') return { key, operator: 'exists', values: [] };
    if (rest.startsWith('==')) {
      this.#position += 2;
      return { key, operator: 'in', values: [this.#value()] };
    }
    if (rest.startsWith('!=')) {
      this.#position += 2;
      return { key, operator: 'notIn', values: [this.#value()] };
    }
    if (next === '=' || next === '>' || next === '<') {
      this.#position += 1;
      const value = this.#value();
      if (next === '=') return { key, operator: 'in', values: [value] };
      if (!/^-?\d+$/.test(value)) this.#fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
      return { key, operator: next === '>' ? 'gt' : 'lt', values: [value] };
    }
    const word = this.#word();
    if (word !== 'in' && word !== 'notin')
      this.#fail(`found '${word}', expected: in, notin, =, ==, !=, gt, lt`);
    if (this.#peek() !== '(') this.#fail(`found '${this.#peek()}', expected: '('`);
    this.#position += 1;
    const values: string[] = [];
    for (;;) {
      if (this.#peek() === ')') break;
      values.push(this.#value());
      if (this.#peek() === ',') this.#position += 1;
      else if (this.#peek() !== ')') this.#fail(`found '${this.#peek()}', expected: ',' or ')'`);
    }
    this.#position += 1;
    return { key, operator: word === 'in' ? 'in' : 'notIn', values };
  }
}
