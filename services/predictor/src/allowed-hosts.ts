import { isIP, isIPv6 } from 'node:net';

/** One allowed Host: a host name or IP address (lower case, IPv6 in brackets as browsers send it) and its port. */
export interface HostEntry {
  readonly name: string;
  /** Undefined: any port. */
  readonly port?: number;
}

/** The Host header values the predictor answers (PREDICTOR_ALLOWED_HOSTS, or the default for PREDICTOR_HOST). */
export interface AllowedHosts {
  /** `*`: every Host. */
  readonly any: boolean;
  readonly entries: readonly HostEntry[];
  /**
   * Also every IP address and every name without a dot (compose service names), on any port: Hosts no DNS rebinding
   * can send (it needs a name of the attacker's domain). The default of a bind to other interfaces than loopback.
   */
  readonly addressesAndShortNames: boolean;
}

/** The loopback names, any port: what a bind to loopback answers by default. */
const LOOPBACK_ENTRIES: readonly HostEntry[] = [{ name: 'localhost' }, { name: '127.0.0.1' }, { name: '[::1]' }];

/** A Host header value: a name or IPv4 address, or an IPv6 address in brackets, then maybe `:port`. */
const HOST_VALUE = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::(\d{1,5}))?$/i;

/** An entry of PREDICTOR_ALLOWED_HOSTS: as a Host value, with `:*` for any port; no empty labels. */
const ENTRY = /^(\[[0-9a-f:.]+\]|[a-z0-9_-]+(?:\.[a-z0-9_-]+)*)(?::(\*|\d{1,5}))?$/i;

/** Whether a bind address (PREDICTOR_HOST) only takes connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^(?:::ffff:)?127\./.test(bare);
}

/**
 * The Hosts answered when PREDICTOR_ALLOWED_HOSTS is unset: the loopback names and PREDICTOR_HOST itself on any port;
 * off loopback (containers: 0.0.0.0), also every IP address and every name without a dot (see AllowedHosts).
 */
export function defaultAllowedHosts(bind: string): AllowedHosts {
  const own = isIPv6(bind) ? canonicalIPv6(`[${bind}]`) : bind.toLowerCase();
  const entries = LOOPBACK_ENTRIES.some((entry) => entry.name === own)
    ? LOOPBACK_ENTRIES
    : [...LOOPBACK_ENTRIES, { name: own }];
  return { any: false, entries, addressesAndShortNames: !isLoopbackHost(bind) };
}

/** What is wrong with PREDICTOR_ALLOWED_HOSTS: one line for each bad entry (none for empty: the default applies). */
export function allowedHostsProblems(text: string): string[] {
  if (text.trim() === '') return [];
  return entriesOf(text)
    .map(entryProblem)
    .filter((problem) => problem !== undefined);
}

/** PREDICTOR_ALLOWED_HOSTS (checked by allowedHostsProblems) read, or when empty the default for `bind`. */
export function allowedHostsOf(text: string, bind: string): AllowedHosts {
  if (text.trim() === '') return defaultAllowedHosts(bind);
  const items = entriesOf(text);
  const entries = items.filter((item) => item !== '*').map(parseEntry);
  return { any: items.includes('*'), entries, addressesAndShortNames: false };
}

/** The trimmed entries of a comma-separated list. */
function entriesOf(text: string): string[] {
  return text.split(',').map((item) => item.trim());
}

/** What is wrong with an entry of PREDICTOR_ALLOWED_HOSTS, if anything. */
function entryProblem(item: string): string | undefined {
  if (item === '') {
    return 'holds an empty entry (a stray comma or spaces): list hosts separated by single commas, or unset it for the default';
  }
  if (item === '*') return undefined;
  const found = ENTRY.exec(item);
  if (found === null || (found[1]?.startsWith('[') && !isIPv6(found[1].slice(1, -1)))) {
    return `"${item}" is not a host name or IP address, alone or with :port or :* (IPv6 in brackets: [::1]:8080); * alone allows every Host`;
  }
  const port = found[2] === undefined || found[2] === '*' ? 1 : Number(found[2]);
  return port >= 1 && port <= 65535 ? undefined : `"${item}": a port is 1 to 65535 (or * for any)`;
}

/** An entry entryProblem found nothing wrong with. */
function parseEntry(item: string): HostEntry {
  const [, name = '', port] = ENTRY.exec(item) ?? [];
  const canonical = name.startsWith('[') ? canonicalIPv6(name) : name.toLowerCase();
  return port === undefined || port === '*' ? { name: canonical } : { name: canonical, port: Number(port) };
}

/**
 * Whether a request's Host header is allowed. One without (or with an empty one) is: only HTTP/1.0 comes so (Node
 * answers 400 to HTTP/1.1 without Host), from health checks such as HAProxy's, never from a browser, which DNS
 * rebinding needs.
 */
export function hostAllowed(allowed: AllowedHosts, host: string | undefined): boolean {
  if (allowed.any || host === undefined || host === '') return true;
  const found = hostOf(host);
  if (found === undefined) return false;
  const listed = allowed.entries.some((entry) => entry.name === found.name && portMatches(entry.port, found.port));
  return listed || (allowed.addressesAndShortNames && notRebindable(found.name));
}

/**
 * Whether an entry's port takes a Host's. A Host without a port is the scheme's default: 80, or 443 behind a proxy
 * that ends TLS (the predictor cannot tell which), so it matches entries for either.
 */
function portMatches(entryPort: number | undefined, hostPort: number | undefined): boolean {
  if (entryPort === undefined) return true;
  return hostPort === undefined ? entryPort === 80 || entryPort === 443 : entryPort === hostPort;
}

/**
 * A Host value's name (lower case, IPv6 as browsers send it, without the trailing dot of a fully qualified name) and
 * port (undefined when it has none); undefined if malformed.
 */
function hostOf(host: string): { name: string; port: number | undefined } | undefined {
  const [, raw, port] = HOST_VALUE.exec(host) ?? [];
  if (raw === undefined) return undefined;
  const name = raw.startsWith('[') ? canonicalIPv6(raw) : raw.toLowerCase().replace(/(?<=[^.])\.$/, '');
  return name === '' ? undefined : { name, port: port === undefined ? undefined : Number(port) };
}

/** An IP address or a name without a dot: no page of another site can have one through DNS rebinding. */
function notRebindable(name: string): boolean {
  return isIP(name) !== 0 || name.startsWith('[') || !name.includes('.');
}

/** `[address]` in the form browsers send (RFC 5952: `[0:0::1]` is `[::1]`); '' when it is no IPv6 address. */
function canonicalIPv6(bracketed: string): string {
  if (!isIPv6(bracketed.slice(1, -1))) return '';
  return new URL(`http://${bracketed}/`).hostname;
}
