import { isIPv4, isIPv6 } from 'node:net';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;
const MAC = /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DURATION = /^(\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h|d|w))+$/;

function cidr(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash < 0) return false;
  const address = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  const max = isIPv4(address) ? 32 : isIPv6(address) ? 128 : -1;
  return max >= 0 && Number(bits) <= max;
}

function uri(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** The string formats kube-apiserver checks in custom resources, as predicates. */
export const FORMAT_CHECKS: Readonly<Record<string, (value: string) => boolean>> = {
  byte: (value) => BASE64.test(value),
  date: (value) => DATE.test(value) && !Number.isNaN(Date.parse(value)),
  'date-time': (value) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value.replace(' ', 'T'))),
  datetime: (value) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value.replace(' ', 'T'))),
  uuid: (value) => UUID.test(value),
  email: (value) => EMAIL.test(value),
  hostname: (value) => HOSTNAME.test(value),
  ipv4: (value) => isIPv4(value),
  ipv6: (value) => isIPv6(value),
  cidr,
  mac: (value) => MAC.test(value),
  uri,
  duration: (value) => DURATION.test(value),
};
